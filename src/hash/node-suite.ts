/**
 * The node:crypto suite by name, for the Node entry (`vmfw-measure/node` exports it). suite.ts
 * already makes it the default wherever node:crypto exists; this module only names it, and refuses
 * to load where it does not.
 */
import { nodeSuite as found, type HashSuite } from './suite.js';

if (!found) throw new Error('node:crypto is not available: hash/node-suite.js is for Node entry points');
/** node:crypto (OpenSSL) as a hash suite: one-shot digests, SHA-384 written in place. */
export const nodeSuite: HashSuite = found;
