import Router from '@koa/router';
import { type AppContext, type AppState, tenantScope } from '../kernel/http/state.js';
import { type OpenApiDocument, openApiDocument } from './document.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The tenant's own document: its name, and its URL (the host it was asked on, which resolved to it) as the server. */
function documentFor(ctx: AppContext): OpenApiDocument {
  const { tenant } = tenantScope(ctx);
  return openApiDocument({
    serverUrl: `${ctx.protocol}://${ctx.host.toLowerCase()}`,
    title: `${tenant.countryName('en')} (${tenant.code})`,
  });
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1b1b1b}
h2{margin-top:2rem;border-bottom:1px solid #ccc}details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}code.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#0b6e4f}.post{color:#1d4ed8}.patch{color:#a16207}.delete{color:#b91c1c}.lock{color:#666;font-size:.85em}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem;font-size:12.5px}table{border-collapse:collapse}td,th{padding:.15rem .6rem;text-align:left;vertical-align:top}`;

/**
 * A browsable page of the document, rendered on the server: no script, nothing from elsewhere
 * (the content security policy allows neither). Each operation opens to its parameters, request
 * body and response schemas.
 */
function page(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const params = operation.parameters ?? [];
      const body = operation.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(operation.responses)
        .map(([status, response]) => {
          const [type, media] = Object.entries(response.content ?? {})[0] ?? [];
          const schema = media?.schema ? `<pre>${escapeHtml(JSON.stringify(media.schema, null, 2))}</pre>` : '';
          return `<h4>${status} ${escapeHtml(response.description)}${type ? ` <small>(${escapeHtml(type)})</small>` : ''}</h4>${schema}`;
        })
        .join('');
      const html = `<details id="${escapeHtml(operation.operationId)}"><summary><code class="m ${method}">${method}</code> <code>${escapeHtml(path)}</code> — ${escapeHtml(operation.summary)}${operation.security ? ' <span class="lock">(Bearer)</span>' : ''}</summary>
${params.length ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th></th></tr>${params.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`).join('')}</table>` : ''}
${body ? `<h4>Request body (application/json)</h4><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>` : ''}${responses}</details>`;
      for (const tag of operation.tags) byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag].map(([tag, items]) => `<h2>${escapeHtml(tag)}</h2>${items.join('\n')}`).join('\n');
  const { info, servers } = document;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(info.title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p>
<p>Server: <code>${escapeHtml(servers[0].url)}</code> · OpenAPI ${escapeHtml(document.openapi)} document: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>
${sections}</body></html>`;
}

/** `/api/v1/openapi.json` and `/api/docs` on each tenant host. */
export function openApiRoutes(): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/api/v1/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = documentFor(ctx);
  });
  router.get('/api/docs', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(documentFor(ctx));
  });
  return router;
}
