package io.redcompress.connect.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.KafkaException;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.dictionary.DictionaryStore.StoreResult;
import io.redcompress.connect.dictionary.DictionaryStoreException;
import io.redcompress.connect.redis.RedisDictionaryStore;
import io.redcompress.connect.tools.DictionaryTraining;
import io.redcompress.connect.tools.SampleFiles;
import io.redcompress.connect.tools.TopicSamples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a zstd dictionary on samples from a file or a Kafka topic, measures it on a held-out tenth "
                + "of them, and stores it in Redis as the connector would (SET NX under <compression.dictionary.key.prefix>:<id>).",
                "Exit 1 when a different dictionary already holds the id."})
final class TrainCommand extends RedisCommand {

    @Option(names = "--file", paramLabel = "PATH", description = "Samples from a file, one value per line.")
    Path file;

    @Option(names = "--format", paramLabel = "lines|json-lines", defaultValue = "lines",
            description = "How --file holds values: 'lines' (each line's bytes) or 'json-lines' (each line a JSON document, "
                    + "written back compactly). Default ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Samples from a Kafka topic: record values from the beginning.")
    String topic;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka, for --topic.")
    String bootstrapServers;

    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE",
            description = "A Kafka consumer setting for --topic (security.protocol, sasl.* ...). Repeatable.")
    Map<String, String> consumerProperties = new LinkedHashMap<>();

    @Option(names = "--samples", paramLabel = "N",
            description = "How many samples at most (default: compression.dictionary.samples).")
    Integer samples;

    @Option(names = "--size", paramLabel = "BYTES",
            description = "Largest dictionary size (default: compression.dictionary.size.bytes).")
    Integer size;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long reading --topic may take (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--dry-run", description = "Train and measure, but store nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws DictionaryStoreException {
        PrintWriter out = out();
        if ((file == null) == (topic == null)) {
            throw new CliException(ExitCode.USAGE, "give either --file PATH or --topic TOPIC (with --bootstrap-servers)");
        }
        if (topic != null && bootstrapServers == null) {
            throw new CliException(ExitCode.USAGE, "--topic needs --bootstrap-servers HOST:PORT");
        }
        RedisSinkConfig config = connection.config();
        int maxSamples = samples != null ? samples : config.dictionarySamples();
        int dictionaryBytes = size != null ? size : config.dictionarySizeBytes();
        if (maxSamples < 1) {
            throw new CliException(ExitCode.USAGE, "--samples must be at least 1, was " + maxSamples);
        }
        List<byte[]> values = readSamples(maxSamples);
        out.println("samples:     " + Numbers.count(values.size()) + " from " + (file != null ? file : "topic " + topic));
        DictionaryTraining.Result result;
        try {
            result = DictionaryTraining.train(values, dictionaryBytes);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.USAGE, "cannot train: " + e.getMessage(), e);
        }
        out.println("trained on:  " + Numbers.count(result.trainingSamples()) + " samples; held out "
                + Numbers.count(result.heldOutSamples()) + " (" + Numbers.count(result.heldOutOriginal()) + " bytes)");
        out.println("dictionary:  id " + result.dictionary().id() + ", " + Numbers.count(result.dictionary().size()) + " bytes");
        out.println("held-out:    ratio " + Numbers.ratio(result.ratioWithDictionary()) + " with the dictionary, "
                + Numbers.ratio(result.ratioWithoutDictionary()) + " with zstd alone (stored/original)");
        if (dryRun) {
            out.println("stored:      no (--dry-run)");
            return ExitCode.OK;
        }
        try (RedisDictionaryStore store = RedisDictionaryStore.open(config, null)) {
            StoreResult stored = store.store(result.dictionary());
            String key = store.key(result.dictionary().id());
            switch (stored) {
                case STORED -> out.println("stored:      " + key);
                case ALREADY_STORED -> out.println("stored:      " + key + " (the same dictionary was there already)");
                case ID_TAKEN -> {
                    out.println("stored:      no: a different dictionary holds " + key);
                    return ExitCode.FINDING;
                }
            }
            return ExitCode.OK;
        }
    }

    private List<byte[]> readSamples(int max) {
        if (file != null) {
            SampleFiles.Format parsed = switch (format) {
                case "lines" -> SampleFiles.Format.LINES;
                case "json-lines" -> SampleFiles.Format.JSON_LINES;
                default -> throw new CliException(ExitCode.USAGE, "--format " + format + ": expected lines or json-lines");
            };
            try {
                return SampleFiles.read(file, parsed, max);
            } catch (IOException e) {
                throw new CliException(ExitCode.USAGE, "--file " + file + " cannot be read: " + e, e);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCode.USAGE, "--file " + e.getMessage(), e);
            }
        }
        try {
            return TopicSamples.read(bootstrapServers, topic, max, consumerProperties, Duration.ofSeconds(timeoutSeconds));
        } catch (IllegalArgumentException | KafkaException e) {
            throw new CliException(ExitCode.USAGE, "--topic " + topic + ": " + e.getMessage(), e);
        }
    }
}
