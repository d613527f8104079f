package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueHeader;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.redis.RedisDictionaryResolver;
import io.redcompress.connect.redis.RedisKeyspace;
import io.redcompress.connect.tools.Preview;
import io.redcompress.connect.tools.ValueReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows one value: its header (format version, codec, dictionary, original length, checksum), stored "
                + "and original size, MEMORY USAGE, and the start of the decoded value (dictionaries are read from Redis).",
                "Exit 1 when the value does not decode, is not in the connector's format, or the key holds no string."})
final class InspectCommand extends RedisCommand {

    static final int PREVIEW_CHARS = 200;

    @Parameters(index = "0", paramLabel = "KEY", description = "The Redis key.")
    String key;

    @Override
    public Integer call() {
        PrintWriter out = out();
        RedisSinkConfig config = connection.config();
        try (RedisKeyspace keyspace = RedisKeyspace.open(config);
             RedisDictionaryResolver dictionaries = RedisDictionaryResolver.open(config)) {
            RedisKeyspace.Entry entry = keyspace.read(key.getBytes(StandardCharsets.UTF_8));
            out.println("key:           " + key);
            if (!entry.exists()) {
                out.println("result:        no such key");
                return ExitCode.FINDING;
            }
            out.println("type:          " + entry.type() + (entry.encoding() == null ? "" : " (encoding " + entry.encoding() + ")"));
            out.println("memory usage:  " + (entry.memoryUsage() < 0 ? "n/a (MEMORY USAGE refused)" : Numbers.count(entry.memoryUsage()) + " bytes"));
            if (entry.value() == null) {
                out.println("result:        holds a " + entry.type() + ", not a string value");
                return ExitCode.FINDING;
            }
            ValueReport report = ValueReport.of(entry.value(), ValueDecoder.builder().dictionaries(dictionaries).build());
            return print(report, entry.value(), out);
        }
    }

    private static int print(ValueReport report, byte[] stored, PrintWriter out) {
        if (report.outcome() == ValueReport.Outcome.FOREIGN) {
            out.println("format:        foreign (not written by the connector: "
                    + (stored.length == 0 ? "empty" : String.format("first byte 0x%02X", stored[0] & 0xFF)) + ")");
            out.println("stored:        " + Numbers.count(stored.length) + " bytes");
            out.println("preview:       " + Preview.of(stored, PREVIEW_CHARS));
            out.println("result:        foreign value");
            return ExitCode.FINDING;
        }
        ValueHeader header = report.header();
        if (header != null) {
            out.println("format:        version " + header.formatVersion());
            out.println("codec:         " + header.codecName());
            out.println("dictionary:    " + (header.usesDictionary() ? Long.toString(header.dictionaryId()) : "none"));
            out.println("original:      " + Numbers.count(header.originalLength()) + " bytes");
            out.println("stored:        " + Numbers.count(report.storedLength()) + " bytes (ratio " + Numbers.ratio(report.ratio())
                    + " stored/original)");
            out.println("checksum:      " + (header.checksumPresent() ? String.format("crc32c 0x%08X", header.crc32c()) : "none"));
        } else {
            out.println("stored:        " + Numbers.count(report.storedLength()) + " bytes");
        }
        if (report.outcome() == ValueReport.Outcome.UNDECODABLE) {
            out.println("result:        undecodable, " + report.errorKind() + ": " + report.errorMessage());
            return ExitCode.FINDING;
        }
        out.println("preview:       " + Preview.of(report.original(), PREVIEW_CHARS));
        out.println("result:        decodes");
        return ExitCode.OK;
    }
}
