import type { Schemas } from '../api/client';

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface SelectorState {
  enabled: boolean;
  labels: { key: string; value: string }[];
  expressions: { key: string; operator: Operator; values: string }[];
}

export function selectorState(selector: Schemas['LabelSelectorDto'] | null | undefined): SelectorState {
  return {
    enabled: Boolean(selector),
    labels: Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => ({ key, value })),
    expressions: (selector?.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: (e.values ?? []).join(', ') })),
  };
}

/** The LabelSelector the API takes, or null when the selector is off. */
export function selectorBody(state: SelectorState): Schemas['LabelSelectorDto'] | null {
  if (!state.enabled) return null;
  const labels = state.labels.filter((l) => l.key.trim() || l.value.trim());
  const expressions = state.expressions.filter((e) => e.key.trim());
  return {
    ...(labels.length ? { matchLabels: Object.fromEntries(labels.map((l) => [l.key.trim(), l.value.trim()])) } : {}),
    ...(expressions.length
      ? {
          matchExpressions: expressions.map((e) => {
            const values = e.values.split(',').map((v) => v.trim()).filter(Boolean);
            return { key: e.key.trim(), operator: e.operator, ...(e.operator === 'In' || e.operator === 'NotIn' || values.length ? { values } : {}) };
          }),
        }
      : {}),
  };
}

/** matchLabels and matchExpressions rows, as kubectl's label selectors have them. */
export function SelectorEditor({ state, onChange, error }: { state: SelectorState; onChange: (next: SelectorState) => void; error?: string }) {
  return (
    <fieldset className="selector">
      <legend>Namespace selector</legend>
      <div className="field check">
        <input id="selector-enabled" type="checkbox" checked={state.enabled} onChange={(e) => onChange({ ...state, enabled: e.target.checked })} aria-describedby="selector-help" />
        <label htmlFor="selector-enabled">Also admit namespaces by their labels</label>
        <small id="selector-help" className="help">
          A namespace whose labels match is allowed as if it were listed in the namespaces above (either one admits). Zerokey reads the namespace with the reviewer token, which then needs get on namespaces.
        </small>
      </div>
      {state.enabled && (
        <>
          <h4>Labels that must be equal (matchLabels)</h4>
          {state.labels.map((label, i) => (
            <div className="row" key={i}>
              <label>
                Label key {i + 1}
                <input value={label.key} spellCheck={false} placeholder="team" onChange={(e) => onChange({ ...state, labels: state.labels.map((l, j) => (j === i ? { ...l, key: e.target.value } : l)) })} />
              </label>
              <label>
                Value {i + 1}
                <input value={label.value} spellCheck={false} placeholder="payments" onChange={(e) => onChange({ ...state, labels: state.labels.map((l, j) => (j === i ? { ...l, value: e.target.value } : l)) })} />
              </label>
              <button type="button" onClick={() => onChange({ ...state, labels: state.labels.filter((_, j) => j !== i) })}>
                Remove label {i + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => onChange({ ...state, labels: [...state.labels, { key: '', value: '' }] })}>
            Add label
          </button>
          <h4>Expressions (matchExpressions)</h4>
          {state.expressions.map((expression, i) => (
            <div className="row" key={i}>
              <label>
                Expression key {i + 1}
                <input value={expression.key} spellCheck={false} placeholder="environment" onChange={(e) => onChange({ ...state, expressions: state.expressions.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)) })} />
              </label>
              <label>
                Operator {i + 1}
                <select value={expression.operator} onChange={(e) => onChange({ ...state, expressions: state.expressions.map((x, j) => (j === i ? { ...x, operator: e.target.value as Operator } : x)) })}>
                  <option>In</option>
                  <option>NotIn</option>
                  <option>Exists</option>
                  <option>DoesNotExist</option>
                </select>
              </label>
              <label>
                Values {i + 1} (comma-separated)
                <input value={expression.values} spellCheck={false} disabled={expression.operator === 'Exists' || expression.operator === 'DoesNotExist'} placeholder="prod, staging" onChange={(e) => onChange({ ...state, expressions: state.expressions.map((x, j) => (j === i ? { ...x, values: e.target.value } : x)) })} />
              </label>
              <button type="button" onClick={() => onChange({ ...state, expressions: state.expressions.filter((_, j) => j !== i) })}>
                Remove expression {i + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => onChange({ ...state, expressions: [...state.expressions, { key: '', operator: 'In', values: '' }] })}>
            Add expression
          </button>
        </>
      )}
      {error && <p className="field-error">{error}</p>}
    </fieldset>
  );
}
