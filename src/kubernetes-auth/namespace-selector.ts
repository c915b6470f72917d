import type { ValidationDetail } from '../common/errors/domain-error.js';
import type { LabelSelector } from './kubernetes-auth-config.entity.js';

/** Limits of one selector: far beyond any real one, small enough to match in microseconds. */
export const SELECTOR_LIMITS = { matchLabels: 64, matchExpressions: 32, values: 64 } as const;

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key as Kubernetes accepts it: `[prefix/]name`, the prefix a DNS subdomain (≤ 253), the name ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

/** A label value: empty, or ≤ 63 characters of the name alphabet. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

/**
 * The rules Kubernetes applies to a LabelSelector (metav1.LabelSelector validation), and one of
 * ours: a selector must say something. `{}` would admit every namespace, which `allowedNamespaces:
 * "*"` says more plainly.
 */
export function checkSelector(selector: LabelSelector): ValidationDetail[] {
  const details: ValidationDetail[] = [];
  const field = 'namespaceSelector';
  const labels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (labels.length === 0 && expressions.length === 0) {
    details.push({ field, message: 'namespaceSelector needs matchLabels or matchExpressions (an empty selector would admit every namespace: write allowedNamespaces "*" for that)' });
  }
  if (labels.length > SELECTOR_LIMITS.matchLabels) details.push({ field: `${field}.matchLabels`, message: `at most ${SELECTOR_LIMITS.matchLabels} labels` });
  for (const [key, value] of labels) {
    if (!isLabelKey(key)) details.push({ field: `${field}.matchLabels`, message: `"${key.slice(0, 100)}" is not a valid label key` });
    else if (typeof value !== 'string' || !isLabelValue(value)) details.push({ field: `${field}.matchLabels.${key}`, message: 'must be a valid label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)' });
  }
  expressions.forEach((expression, index) => {
    const at = `${field}.matchExpressions.${index}`;
    if (!isLabelKey(expression.key)) details.push({ field: `${at}.key`, message: 'must be a valid label key' });
    const values = expression.values ?? [];
    if (expression.operator === 'In' || expression.operator === 'NotIn') {
      if (values.length === 0) details.push({ field: `${at}.values`, message: `operator ${expression.operator} needs at least one value` });
    } else if (values.length > 0) {
      details.push({ field: `${at}.values`, message: `operator ${expression.operator} takes no values` });
    }
    values.forEach((value, i) => {
      if (!isLabelValue(value)) details.push({ field: `${at}.values.${i}`, message: 'must be a valid label value' });
    });
  });
  return details;
}

/** Kubernetes' semantics: every matchLabels entry and every expression must hold (NotIn holds for a missing label). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, key);
    const ok =
      operator === 'In' ? present && values.includes(labels[key]!)
      : operator === 'NotIn' ? !present || !values.includes(labels[key]!)
      : operator === 'Exists' ? present
      : !present;
    if (!ok) return false;
  }
  return true;
}
