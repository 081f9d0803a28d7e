/*
 * admin_cli — `smartofficed admin status|audit|command|demo|snapshot`
 * (docs/admin.md): the admin page's view and actions against the running
 * daemon.
 */
#ifndef SO_ADMIN_CLI_H
#define SO_ADMIN_CLI_H

/* argv[0] is "admin".  Returns the exit status (0, 1 failed, 2 usage). */
int admin_cli(int argc, char **argv, const char *state_dir);

#endif
