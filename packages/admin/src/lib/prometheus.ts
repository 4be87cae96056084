// Reads the Prometheus text format (what /metrics answers) into samples: name, labels, value.

export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const kName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(raw: string): number {
  switch (raw) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(raw);
  }
}

/** `{a="1",b="x\"y"}` from `start` (at the `{`): the labels and the index after the `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (i < line.length && line[i] !== '}') {
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new SyntaxError(`label without a quoted value at column ${i}`);
    const key = line.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        j++;
        value += line[j] === 'n' ? '\n' : (line[j] ?? '');
      } else value += line[j];
    }
    if (j >= line.length) throw new SyntaxError('unterminated label value');
    labels[key] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new SyntaxError(`expected , or } after the label ${key} at column ${i}`);
  }
  if (line[i] !== '}') throw new SyntaxError('unterminated label set');
  return { labels, end: i + 1 };
}

/**
 * Every sample of a scrape. Comments (# HELP, # TYPE) and blank lines are skipped; a malformed line throws a
 * SyntaxError naming its line number.
 */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const name = kName.exec(line)?.[0];
    if (name === undefined) throw new SyntaxError(`line ${index + 1}: no metric name in ${JSON.stringify(line)}`);
    let rest = name.length;
    let labels: Record<string, string> = {};
    try {
      if (line[rest] === '{') ({ labels, end: rest } = parseLabels(line, rest));
    } catch (error) {
      throw new SyntaxError(`line ${index + 1}: ${(error as Error).message}`);
    }
    const [valueText] = line.slice(rest).trim().split(/\s+/);
    const value = parseValue(valueText ?? '');
    if (valueText === undefined || valueText === '' || (Number.isNaN(value) && valueText !== 'NaN'))
      throw new SyntaxError(`line ${index + 1}: no value in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value });
  });
  return samples;
}

/** The value of an unlabelled gauge (the first sample of that name), or undefined. */
export function gaugeValue(samples: readonly PromSample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}
