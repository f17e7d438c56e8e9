// Attune's version, from package.json (bundled by Vite, read by tsx in the CLI), recorded in every run header.
import pkg from '../../package.json' with { type: 'json' };

export const ATTUNE_VERSION: string = pkg.version;
