// How tests and benchmarks launch a browser: Debian's chromium, headless, never a downloaded one, with the
// background services that would add noise (or network) turned off.

export interface HeadlessChromium {
  executablePath: string;
  headless: true;
  args: string[];
}

/** Launch options for playwright-core's `chromium.launch` (a fresh copy: callers may add to it). */
export function headlessChromium(): HeadlessChromium {
  return {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  };
}
