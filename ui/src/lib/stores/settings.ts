// The main window's lists that depend on settings: saved logins (refreshed whenever the status
// changes, since the CLI or tray may revoke them), permissions (labels, loaded once) and the
// hosts this viewer knows.
import { api, type KnownHost, type PermissionInfo, type TokenSummary } from '../api';
import { createListStore } from './list';
import { statusStore } from './status';

export const tokensStore = createListStore<TokenSummary>(api.listTokens);
export const permissionsStore = createListStore<PermissionInfo>(api.listPermissions);
export const knownHostsStore = createListStore<KnownHost>(api.knownHosts);

/** Wire the lists to status changes; returns the function that unwires them. */
export function startSettingsLists(): () => void {
  void permissionsStore.refresh();
  void tokensStore.refresh();
  void knownHostsStore.refresh();
  return statusStore.onChange(() => {
    void tokensStore.refresh();
  });
}
