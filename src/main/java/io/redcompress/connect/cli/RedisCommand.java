package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that reaches Redis with the connector's settings ({@link ConnectionOptions}) and prints to stdout. */
abstract class RedisCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    /** The tool's stdout. */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
