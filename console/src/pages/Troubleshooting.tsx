import { Marked } from 'marked';
import { useEffect, useMemo } from 'react';
import { useLocation } from 'react-router';
import guide from '../../../docs/troubleshooting.md?raw';

/**
 * docs/troubleshooting.md, bundled at build time (the project's own text, no third party), with
 * each error code's heading given the code as its id so that errors can link straight to it.
 */
function renderGuide(markdown: string): string {
  const marked = new Marked({
    renderer: {
      heading({ tokens, depth, text }) {
        const code = /^`([A-Za-z]+)`/.exec(text)?.[1];
        const id = code ?? text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
        return `<h${depth + 1} id="${id}">${this.parser.parseInline(tokens)}</h${depth + 1}>\n`;
      },
      // Links between the project's documents point at files the console does not serve.
      link({ tokens, href }) {
        const inner = this.parser.parseInline(tokens);
        if (href.startsWith('#')) return `<a href="${href}">${inner}</a>`;
        if (/^https?:\/\//.test(href)) return `<a href="${href}" rel="noreferrer">${inner}</a>`;
        return `<span class="doc-ref" title="docs/${href}">${inner}</span>`;
      },
      html() {
        return '';
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

export function TroubleshootingPage() {
  const html = useMemo(() => renderGuide(guide), []);
  const { hash } = useLocation();
  useEffect(() => {
    if (!hash) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target) {
      target.classList.add('highlight');
      target.scrollIntoView();
    }
  }, [hash, html]);
  return <article className="doc" dangerouslySetInnerHTML={{ __html: html }} />;
}
