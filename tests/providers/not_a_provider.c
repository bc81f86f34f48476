/* A shared library that is not a capability provider: it exports neither stratus_provider_create nor
 * __capability_provider_create. */
int stratus_not_a_provider(void) { return 42; }
