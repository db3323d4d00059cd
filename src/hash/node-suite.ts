/**
 * The node:crypto suite, for Node entry points that want it by name. suite.ts already makes it the
 * default on Node (it finds node:crypto at run time); importing this module states it explicitly.
 */
import { nodeSuite as found, useHashSuite, type HashSuite } from './suite.js';

if (!found) throw new Error('node:crypto is not available: hash/node-suite.js is for Node entry points');
/** SHA-384/SHA-256 from node:crypto (OpenSSL): the fastest suite, and the default under Node. */
export const nodeSuite: HashSuite = found;
useHashSuite(nodeSuite);
