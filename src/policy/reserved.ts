/**
 * The built-in reserved names: routes, roles and addresses that a signup must
 * never be able to claim. Replace or extend it with the policy's `reserved`
 * option.
 *
 * @example
 * ```ts
 * createUsernameAvailability({ store, policy: { reserved: (defaults) => [...defaults, 'billing'] } });
 * ```
 */
export const DEFAULT_RESERVED: readonly string[] = Object.freeze([
  'about', 'abuse', 'account', 'accounts', 'admin', 'administrator', 'anonymous', 'api', 'app',
  'assets', 'auth', 'billing', 'blog', 'cdn', 'contact', 'dashboard', 'dev', 'docs', 'email',
  'ftp', 'guest', 'help', 'home', 'hostmaster', 'info', 'login', 'logout', 'mail', 'me',
  'moderator', 'mod', 'news', 'noreply', 'no-reply', 'null', 'official', 'owner', 'postmaster',
  'privacy', 'register', 'root', 'security', 'settings', 'signin', 'signup', 'smtp', 'staff',
  'static', 'status', 'support', 'sysadmin', 'system', 'team', 'terms', 'undefined', 'user',
  'users', 'webmaster', 'www',
]);
