package io.redcompress.connect.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** The -cli jar ./mvnw package builds, when it has been built: it runs the tool and carries kafka-clients. */
class CliJarTest {

    @Test
    void theCliJarStartsTheToolAndHoldsKafkaClients() throws IOException {
        List<Path> jars;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            jars = files.filter(p -> p.getFileName().toString().endsWith("-cli.jar")).toList();
        } catch (IOException e) {
            jars = List.of();
        }
        assumeTrue(!jars.isEmpty(), "no target/*-cli.jar: run ./mvnw package first");
        try (JarFile jar = new JarFile(jars.get(0).toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS))
                    .isEqualTo(RedcompressCli.class.getName());
            assertThat(jar.getEntry("org/apache/kafka/clients/consumer/KafkaConsumer.class")).isNotNull();
            assertThat(jar.getEntry("picocli/CommandLine.class")).isNotNull();
        }
    }
}
