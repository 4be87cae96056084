/**
 * Runs `work` while another task counts the event-loop iterations it gets (a setImmediate chain, one count
 * per iteration): work that yields between its parts lets it count once per part; work done in one
 * synchronous stretch, at most once.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    const value = await work();
    return { value, turns };
  } finally {
    counting = false;
  }
}
