package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueHeader;
import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.redis.RedisBucketReader;
import io.redcompress.connect.redis.RedisDictionaryResolver;
import io.redcompress.connect.redis.RedisKeyspace;
import io.redcompress.connect.tools.Preview;
import io.redcompress.connect.tools.StructureSample;
import io.redcompress.connect.tools.ValueReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows one value: its header (format version, codec, dictionary, original length, checksum), stored "
                + "and original size, MEMORY USAGE, and the start of the decoded value (dictionaries are read from Redis).",
                "A list, hash, set, sorted set or stream (redis.command rpush/lpush, hset, sadd, zadd, xadd): its length "
                        + "and its first --limit elements, each decoded on its own (list index, hash field, set member, "
                        + "sorted-set score, stream entry id with its fields: redis.stream.value.field decoded, the others "
                        + "as text); a member not in the format is shown as text (redis.member.template).",
                "Exit 1 when a value does not decode or is not in the connector's format where it should be, a stream "
                        + "entry has no value field, the key does not exist or holds a type the connector does not write."})
final class InspectCommand extends RedisCommand {

    static final int PREVIEW_CHARS = 200;
    /** How much of each element of a structure is shown. */
    static final int ELEMENT_PREVIEW_CHARS = 120;
    static final int DEFAULT_LIMIT = 20;

    @Parameters(index = "0", paramLabel = "KEY",
            description = "The Redis key; with redis.layout=buckets, the logical key (what key.template renders), whose "
                    + "bucket is shown too.")
    String key;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DEFAULT_LIMIT,
            description = "A list, hash, set, sorted set or stream: how many elements to read at most (LRANGE, HSCAN, "
                    + "SSCAN, ZRANGE, XRANGE COUNT; default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        PrintWriter out = out();
        RedisSinkConfig config = connection.config();
        if (limit < 1) {
            throw new CliException(ExitCode.USAGE, "--limit must be at least 1, was " + limit);
        }
        if (config.layout() == RedisLayout.BUCKETS) {
            return inspectEntry(config, out);
        }
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
                if (!StructureSample.readable(entry.type())) {
                    out.println("result:        holds a " + entry.type() + ", which the connector does not write (inspect "
                            + "reads a string, " + String.join(", ", StructureSample.TYPES) + ")");
                    return ExitCode.FINDING;
                }
                StructureSample sample = StructureSample.read(keyspace, entry.key(), entry.type(), limit,
                        config.streamValueField(), ValueDecoder.builder().dictionaries(dictionaries).build());
                return print(sample, out);
            }
            ValueReport report = ValueReport.of(entry.value(), ValueDecoder.builder().dictionaries(dictionaries).build());
            return print(report, entry.value(), out);
        }
    }

    /** KEY is a logical key: where its entry is, what its bucket is like, then its value. */
    private int inspectEntry(RedisSinkConfig config, PrintWriter out) {
        try (RedisBucketReader reader = RedisBucketReader.open(config);
             RedisKeyspace keyspace = RedisKeyspace.open(config);
             RedisDictionaryResolver dictionaries = RedisDictionaryResolver.open(config)) {
            out.println("key:           " + key + " (logical key, redis.layout=buckets)");
            LayoutMarker marker = reader.marker();
            if (marker == null) {
                out.println("result:        no layout marker at " + config.bucketPrefix() + BucketLayout.MARKER_SUFFIX
                        + ": nothing was written under this prefix");
                return ExitCode.FINDING;
            }
            RedisBucketReader.Found found = reader.find(key.getBytes(StandardCharsets.UTF_8));
            marker = reader.marker();
            if (found == null) {
                out.println("bucket:        " + new String(BucketLayout.of(config.bucketPrefix(), marker.count())
                        .bucketKey(key.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8) + " of " + marker.count());
                out.println("result:        no such entry");
                return ExitCode.FINDING;
            }
            out.println("bucket:        " + found.bucketKeyText() + " (bucket " + found.bucket() + " of "
                    + (found.oldLayout() ? marker.previousCount() + ", not moved yet by the re-bucketing to " + marker.count()
                    : Integer.toString(marker.count())) + ")");
            RedisKeyspace.Hash bucket = keyspace.readHashes(java.util.List.of(found.bucketKey())).get(0);
            out.println("bucket holds:  " + Numbers.count(bucket.entries()) + " entries (encoding "
                    + (bucket.encoding() == null ? "n/a" : bucket.encoding()) + "), memory usage "
                    + (bucket.memoryUsage() < 0 ? "n/a" : Numbers.count(bucket.memoryUsage()) + " bytes"));
            ValueReport report = ValueReport.of(found.stored(), ValueDecoder.builder().dictionaries(dictionaries).build());
            return print(report, found.stored(), out);
        }
    }

    /** What each type's length counts, and in which order its elements are read. */
    private static final Map<String, String> LENGTHS = Map.of(
            "list", "elements (LLEN), from the head",
            "hash", "fields (HLEN), in HSCAN order",
            "set", "members (SCARD), in SSCAN order",
            "zset", "members (ZCARD), lowest score first",
            "stream", "entries (XLEN), oldest first");

    private int print(StructureSample sample, PrintWriter out) {
        out.println("length:        " + Numbers.count(sample.length()) + " " + LENGTHS.get(sample.type()));
        for (StructureSample.Element element : sample.elements()) {
            if (element.parts().size() == 1 && element.parts().get(0).name() == null) {
                out.println("  " + element.label() + ": " + describe(element.parts().get(0)));
            } else {
                out.println("  " + element.label());
                element.parts().forEach(part -> out.println("    " + part.name() + ": " + describe(part)));
            }
        }
        if (sample.notRead() > 0) {
            out.println("more:          " + Numbers.count(sample.notRead()) + " not read (--limit " + limit + ")");
        }
        StringBuilder kinds = new StringBuilder();
        sample.kinds().forEach((kind, count) -> kinds.append(kinds.length() == 0 ? "" : ", ").append(Numbers.count(count))
                .append(' ').append(kind == StructureSample.Kind.DECODED ? "decode" : kind.name().toLowerCase(Locale.ROOT)));
        out.println("result:        " + Numbers.count(sample.elements().size()) + " read: " + kinds);
        return sample.hasFindings() ? ExitCode.FINDING : ExitCode.OK;
    }

    /** One part in a line: codec, sizes and the start of the decoded value; or what it is instead. */
    private static String describe(StructureSample.Part part) {
        return switch (part.kind()) {
            case MISSING -> "missing: the entry has no such field (redis.stream.value.field)";
            case TEXT -> "text, " + Numbers.count(part.stored().length) + " bytes: " + Preview.of(part.stored(), ELEMENT_PREVIEW_CHARS);
            case FOREIGN -> "foreign (not in the value format), " + Numbers.count(part.stored().length) + " bytes: "
                    + Preview.of(part.stored(), ELEMENT_PREVIEW_CHARS);
            case UNDECODABLE -> "undecodable, " + part.report().errorKind() + ": " + part.report().errorMessage();
            case DECODED -> {
                ValueHeader header = part.report().header();
                yield header.codecName() + (header.usesDictionary() ? " " + header.dictionaryId() : "") + ", "
                        + Numbers.count(header.originalLength()) + " bytes (" + Numbers.count(part.stored().length)
                        + " stored): " + Preview.of(part.report().original(), ELEMENT_PREVIEW_CHARS);
            }
        };
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
