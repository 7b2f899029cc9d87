/**
 * A memo of a pure computation by string key, for values that recur (a session's day written in a
 * language, an unsealed signing key): each is made on first use, then answered from the map. The
 * map starts over when it holds `max` entries, so a long-running process keeps only what recent
 * work asked for, without the bookkeeping of an LRU.
 */
export function boundedMemo<V>(max: number): (key: string, make: () => V) => V {
  const values = new Map<string, V>();
  return (key, make) => {
    let value = values.get(key);
    if (value === undefined) {
      value = make();
      if (values.size >= max) values.clear();
      values.set(key, value);
    }
    return value;
  };
}
