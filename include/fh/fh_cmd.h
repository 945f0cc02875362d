/* fh_cmd.h - the subcommands of the fiscalhub binary (serve, worker, migrate, admin). Each
 * takes the arguments after its name and returns a process exit code. */
#ifndef FH_CMD_H
#define FH_CMD_H

int fh_cmd_serve(int argc, char **argv);
int fh_cmd_worker(int argc, char **argv);
int fh_cmd_migrate(int argc, char **argv);
int fh_cmd_admin(int argc, char **argv);

#endif
