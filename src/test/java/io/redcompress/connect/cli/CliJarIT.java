package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.testing.RedisServerProcess;

/**
 * The -cli jar that ./mvnw package builds, run as an operator runs it ({@code java -jar}, its own process, nothing of
 * the build's classpath): it starts, carries kafka-clients, and reads a real redis-server. Failsafe runs it after
 * package, so the jar is there.
 */
class CliJarIT {

    private static Path cliJar() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith("-cli.jar")).toList();
            assertThat(jars).as("target/*-cli.jar, built by package").hasSize(1);
            return jars.get(0);
        }
    }

    private record Run(int exit, String out) {
    }

    private static Run run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", cliJar().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), out);
    }

    @Test
    void theJarRunsTheToolAndHoldsWhatItNeeds() throws Exception {
        try (JarFile jar = new JarFile(cliJar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS))
                    .isEqualTo(RedcompressCli.class.getName());
            assertThat(jar.getEntry("org/apache/kafka/clients/consumer/KafkaConsumer.class")).isNotNull();
            assertThat(jar.getEntry("picocli/CommandLine.class")).isNotNull();
        }
        Run help = run("--help");
        assertThat(help.exit()).as(help.out()).isZero();
        assertThat(help.out()).contains("inspect").contains("stats").contains("train").contains("dictionaries");
    }

    @Test
    void theJarInspectsValuesInARealRedis() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            byte[] original = ("{\"deviceId\":\"d1\",\"status\":\"OK\",\"temp\":21.5,\"note\":\"" + "hello ".repeat(40) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            redis.client().set("device:1", ValueEncoder.builder().codec(Codec.ZSTD).minSizeToCompress(0).build().encode(original));
            redis.client().set("device:foreign", "plain text");
            Run ours = run("inspect", "device:1", "--set", "redis.uri=" + redis.uri());
            assertThat(ours.exit()).as(ours.out()).isZero();
            assertThat(ours.out()).contains("codec:").contains("zstd").contains("\"deviceId\":\"d1\"");
            Run foreign = run("inspect", "device:foreign", "--set", "redis.uri=" + redis.uri());
            assertThat(foreign.exit()).as(foreign.out()).isEqualTo(1);
            assertThat(foreign.out()).contains("foreign");
        }
    }
}
