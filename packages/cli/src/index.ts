export { main } from './main.js';
export { kExitError, kExitInterrupted, kExitOk, kExitProblems, kExitUsage } from './exit-codes.js';
