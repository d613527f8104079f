/**
 * The operators' command-line tool ({@code java -jar kafka-connect-redis-compressed-<version>-cli.jar}): parsing of
 * the command line and printing of what {@code io.redcompress.connect.tools} finds; Redis through
 * {@code io.redcompress.connect.redis}. Entry point {@link io.redcompress.connect.cli.RedcompressCli}; exit codes in
 * {@link io.redcompress.connect.cli.ExitCode}.
 */
package io.redcompress.connect.cli;
