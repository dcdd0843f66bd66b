/**
 * What `kvplay PLAYBOOK` needs past the quick exits of main.ts (--version, --help, --doc): imported
 * by main.ts when a playbook is to be loaded, so those exits start without it (one chunk of the bundle).
 */
export { loadVaultSecrets, VaultKeyring, VaultSourceError } from '../vault/secrets.js';
export { setYamlVault } from '../vault/loader.js';
export { loadPlaybook } from '../playbook/load.js';
export { checkUndefined, knownNames } from '../playbook/undefined.js';
export { undefinedInConnVars } from '../inventory/check.js';
export { loadInventory } from '../inventory/index.js';
export { createReporter } from '../report/index.js';
export { newRunState, runPlaybook } from '../engine/run.js';
export { runFlags } from '../engine/state.js';
export { listPlaybook } from './list.js';
export { onInterrupt } from './interrupt.js';
