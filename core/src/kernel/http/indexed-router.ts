import Router from '@koa/router';

type AnyLayer = Router['stack'][number];
type MatchResult = { path: AnyLayer[]; pathAndMethod: AnyLayer[]; route: boolean };

/**
 * A node of the literal path segments layers start with (`/api/v1/areas/:level` is under
 * api → v1 → areas). A path reaches the nodes of its leading segments that are followed by '/'.
 */
interface Node {
  children: Map<string, Node>;
  /** Stack positions of the layers whose literal start ends at this node. */
  own: number[];
  /** The layers a path that reaches this node but goes no deeper can match: this node's and its ancestors', in stack order. */
  candidates: AnyLayer[];
}

/**
 * A @koa/router Router whose `match` only tests the layers that can match the path. The tenant
 * router mounts every module's router, which @koa/router flattens into one stack of ~250 layers, and
 * its `match` tests every layer's regular expression on every request. Each layer's regular
 * expression starts with a literal path (`/api/v1/availability`, `/cowin/v2`), and a path can only
 * match a layer whose literal start it begins with, so layers are kept in a tree of their literal
 * segments and a request tests those along its own path (8 to 12 of them instead of 253). The
 * candidates keep the stack's order and go through the same test as `Router.match`, so the layers
 * matched, the route chosen, params, `_matchedRoute` and the 405's Allow header are what the plain
 * router gives.
 */
export function indexedRouter<StateT = unknown>(): Router<StateT> {
  const router = new Router<StateT>();
  let root: Node | undefined;
  let indexed = -1;
  const candidates = (path: string): AnyLayer[] => {
    // Routes added after the first request: index again.
    if (!root || indexed !== router.stack.length) {
      root = buildIndex(router.stack as AnyLayer[]);
      indexed = router.stack.length;
    }
    // Regular expressions of routes are case-insensitive by default: walk in lower case.
    const lower = path.toLowerCase();
    let node = root;
    if (lower.startsWith('/')) {
      let start = 1;
      for (let end = lower.indexOf('/', start); end >= 0; end = lower.indexOf('/', start)) {
        const next = node.children.get(lower.slice(start, end));
        if (!next) break;
        node = next;
        start = end + 1;
      }
    }
    return node.candidates;
  };
  router.match = (path, method) => {
    const result: MatchResult = { path: [], pathAndMethod: [], route: false };
    const normalizedMethod = method.toUpperCase();
    for (const layer of candidates(path)) {
      // As Router.match does.
      if (!layer.match(path)) continue;
      result.path.push(layer);
      const isMiddleware = layer.methods.length === 0;
      if (isMiddleware || layer.methods.includes(normalizedMethod)) {
        result.pathAndMethod.push(layer);
        if (!isMiddleware) result.route = true;
      }
    }
    return result as never;
  };
  return router;
}

function buildIndex(stack: AnyLayer[]): Node {
  const node = (): Node => ({ children: new Map(), own: [], candidates: [] });
  const root = node();
  stack.forEach((layer, position) => {
    const prefix = literalPrefix(layer.regexp);
    // The segments followed by '/' in the literal start: `/api/v1/auth/otp` -> api, v1, auth.
    const segments = prefix.startsWith('/') ? prefix.slice(1).split('/').slice(0, -1) : [];
    let at = root;
    for (const segment of segments) {
      let next = at.children.get(segment);
      if (!next) {
        next = node();
        at.children.set(segment, next);
      }
      at = next;
    }
    at.own.push(position);
  });
  const fill = (at: Node, inherited: number[]) => {
    const positions = [...inherited, ...at.own].sort((a, b) => a - b);
    at.candidates = positions.map((position) => stack[position]);
    for (const child of at.children.values()) fill(child, positions);
  };
  fill(root, []);
  return root;
}

const QUANTIFIERS = new Set(['?', '*', '+', '{']);
const SPECIAL = new Set(['.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$']);
/** Escapes of punctuation, which stand for the character itself. */
const ESCAPED_LITERAL = /^[/.\-\\^$*+?()[\]{}|]$/;

/**
 * The text every string a regular expression matches starts with, in lower case: the literal
 * characters after `^`, entering plain `(?:` groups, stopping at anything else. Shorter is always
 * safe (more layers are tested); `''` when unsure (flags that change `^` or case folding, an
 * alternation, characters beyond ASCII).
 */
export function literalPrefix(regexp: RegExp): string {
  if (/[muvgy]/.test(regexp.flags)) return '';
  const source = regexp.source;
  if (!source.startsWith('^') || hasAlternation(source, 0, source.length)) return '';
  let prefix = '';
  let i = 1;
  while (i < source.length) {
    const c = source[i];
    if (c === '(') {
      const close = source.startsWith('(?:', i) ? closingParen(source, i) : -1;
      if (close < 0 || hasAlternation(source, i + 1, close) || QUANTIFIERS.has(source[close + 1])) break;
      i += 3;
      continue;
    }
    // Only the groups entered above close here, and none of them is quantified.
    if (c === ')') {
      i++;
      continue;
    }
    let literal: string;
    if (c === '\\') {
      if (!ESCAPED_LITERAL.test(source[i + 1] ?? '')) break;
      literal = source[i + 1];
      i += 2;
    } else {
      if (SPECIAL.has(c)) break;
      literal = c;
      i++;
    }
    if (QUANTIFIERS.has(source[i])) break;
    prefix += literal;
  }
  return /^[\x20-\x7e]*$/.test(prefix) ? prefix.toLowerCase() : '';
}

/**
 * Walks source[from, to) outside escapes and character classes, calling `visit` with each other
 * character and the group depth after it; stops at the first index `visit` returns true for.
 * Answers that index, or -1.
 */
function scan(source: string, from: number, to: number, visit: (c: string, depth: number) => boolean): number {
  let depth = 0;
  let inClass = false;
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      if (visit(c, depth)) return i;
    }
  }
  return -1;
}

/** The index of the ')' closing the group opened at `open`, or -1. */
function closingParen(source: string, open: number): number {
  return scan(source, open, source.length, (c, depth) => c === ')' && depth === 0);
}

/** Whether source[from, to) has a '|' outside its nested groups and character classes. */
function hasAlternation(source: string, from: number, to: number): boolean {
  return scan(source, from, to, (c, depth) => c === '|' && depth === 0) >= 0;
}
