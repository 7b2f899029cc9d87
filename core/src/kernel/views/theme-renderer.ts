import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { ConfigError } from '../errors.js';
import { type Asset, collectAssets } from './assets.js';
import { helpers } from './helpers/index.js';
import type { RenderData } from './render-data.js';

const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log', 'blockHelperMissing', 'helperMissing'];
const COMPILE_OPTIONS = {
  strict: false,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries([...BUILTIN_HELPERS, ...Object.keys(helpers)].map((name) => [name, true])),
};

export interface ThemeLayer {
  id: string;
  directory: string;
  tokens: Record<string, string>;
}

type Kind = 'layouts' | 'partials' | 'pages';

function templatesIn(directory: string, kind: Kind): Map<string, string> {
  const root = join(directory, kind);
  const found = new Map<string, string>();
  const walk = (folder: string) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.hbs')) found.set(relative(root, path).slice(0, -4).split('\\').join('/'), path);
    }
  };
  walk(root);
  return found;
}

/** Names of partials a template uses, found by walking its syntax tree. */
function partialsUsed(program: hbs.AST.Program): string[] {
  const names: string[] = [];
  class Finder extends Handlebars.Visitor {
    override PartialStatement(partial: hbs.AST.PartialStatement): void {
      if (partial.name.type === 'PathExpression') names.push((partial.name as hbs.AST.PathExpression).original);
      super.PartialStatement(partial);
    }
    override PartialBlockStatement(partial: hbs.AST.PartialBlockStatement): void {
      if (partial.name.type === 'PathExpression') names.push((partial.name as hbs.AST.PathExpression).original);
      super.PartialBlockStatement(partial);
    }
  }
  new Finder().accept(program);
  return names;
}

/**
 * A tenant's theme: the chain `default` -> country theme, compiled once in its own Handlebars
 * environment that knows only our helpers. Templates resolve most-specific theme first, so a
 * country theme overrides only the files it has. Problems (unknown helper, missing partial,
 * syntax) stop start-up with the file named.
 */
export class ThemeRenderer {
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layouts = new Map<string, Handlebars.TemplateDelegate>();
  readonly assets: Map<string, Asset>;
  readonly assetsByUrl = new Map<string, Asset>();
  readonly tokens: Record<string, string>;

  constructor(
    /** Base theme first, the tenant's own theme last. */
    readonly chain: ThemeLayer[],
    tenantTokens: Record<string, string> = {},
    readonly root = process.cwd(),
  ) {
    const env = Handlebars.create();
    env.registerHelper(helpers as unknown as Handlebars.HelperDeclareSpec);
    const collect = (kind: Kind) => {
      const merged = new Map<string, string>();
      for (const layer of chain) for (const [name, path] of templatesIn(layer.directory, kind)) merged.set(name, path);
      return merged;
    };
    const partials = collect('partials');
    const compile = (path: string) => {
      const source = readFileSync(path, 'utf8');
      const where = relative(root, path);
      try {
        const missing = partialsUsed(Handlebars.parse(source)).filter((name) => !partials.has(name));
        if (missing.length > 0) throw new Error(`uses partial(s) that no theme in the chain has: ${missing.join(', ')}`);
        env.precompile(source, COMPILE_OPTIONS); // compiles eagerly: unknown helpers fail here
      } catch (error) {
        throw new ConfigError(`Theme template ${where}: ${(error as Error).message.split('\n').slice(0, 4).join('\n  ')}`);
      }
      return env.compile(source, COMPILE_OPTIONS);
    };
    for (const [name, path] of partials) env.registerPartial(name, compile(path));
    for (const [name, path] of collect('layouts')) this.layouts.set(name, compile(path));
    for (const [name, path] of collect('pages')) this.pages.set(name, compile(path));
    if (!this.layouts.has('main')) throw new ConfigError(`Theme ${chain.at(-1)?.id}: no layouts/main.hbs in the chain`);
    this.tokens = Object.assign({}, ...chain.map((layer) => layer.tokens), tenantTokens);
    this.assets = collectAssets(chain.map((layer) => layer.directory));
    for (const asset of this.assets.values()) this.assetsByUrl.set(asset.url, asset);
  }

  hasPage(name: string): boolean {
    return this.pages.has(name);
  }

  assetUrl(name: string): string {
    return this.assets.get(name)?.url ?? '';
  }

  /** Renders `pages/<page>` inside `layouts/<layout>`; `context` is the page's data. */
  render(page: string, context: Record<string, unknown>, data: RenderData, layout = 'main'): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`No page template "${page}" in theme ${this.chain.at(-1)?.id}`);
    const options = { data, allowProtoPropertiesByDefault: false };
    const full = { ...context, tokens: this.tokens };
    const body = template(full, options);
    return this.layouts.get(layout)!({ ...full, body }, options);
  }
}
