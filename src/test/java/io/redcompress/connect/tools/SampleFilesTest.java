package io.redcompress.connect.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleFilesTest {

    @Test
    void linesAreSamplesAsTheyAreUpToTheLimit(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("s.txt"), "a b\n\n{\"x\": 1}\nlast\n");

        assertThat(SampleFiles.read(file, SampleFiles.Format.LINES, 3)).extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactly("a b", "", "{\"x\": 1}");
    }

    @Test
    void jsonLinesAreWrittenBackCompactlyAndAStringIsItsText(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("s.jsonl"), "{\"b\": 1, \"a\": [true, null]}\n\n\"plain\"\n");

        assertThat(SampleFiles.read(file, SampleFiles.Format.JSON_LINES, 10)).extracting(b -> new String(b, StandardCharsets.UTF_8))
                .containsExactly("{\"b\":1,\"a\":[true,null]}", "plain");
    }

    @Test
    void aLineThatIsNotJsonIsNamed(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("s.jsonl"), "{}\n{oops\n");

        assertThatThrownBy(() -> SampleFiles.read(file, SampleFiles.Format.JSON_LINES, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s.jsonl line 2 is not JSON");
    }
}
