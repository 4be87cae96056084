export { clusteredVectors, row } from './datasets.js';
export type { ClusteredOptions } from './datasets.js';
export { bruteForce, recall, referenceDistance } from './oracle.js';
export type { OracleMetric } from './oracle.js';
export { gaussian, seededRandom } from './random.js';
export { tempDir, tempStorePath } from './temp.js';
export { suiteCount, suiteSeed } from './seed.js';
export { headlessChromium } from './chromium.js';
export type { HeadlessChromium } from './chromium.js';
