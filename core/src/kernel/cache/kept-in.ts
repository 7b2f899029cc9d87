/**
 * The value kept in `map` for `key`, made and kept on first use. With a WeakMap keyed by the
 * immutable objects of a cache entry, what is derived from them (their JSON texts, say) lives
 * exactly as long as the entry.
 */
export function keptIn<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let found = map.get(key);
  if (found === undefined) {
    found = make();
    map.set(key, found);
  }
  return found;
}
