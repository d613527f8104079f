package io.redcompress.connect.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PreviewTest {

    @Test
    void textIsShownWithControlCharactersAndBackslashesEscaped() {
        byte[] text = "a\tb\nc\\d\u0001é€".getBytes(StandardCharsets.UTF_8);

        assertThat(Preview.of(text, 100)).isEqualTo("a\\tb\\nc\\\\d\\u0001é€");
    }

    @Test
    void bytesThatAreNotUtf8AreShownByteByByte() {
        byte[] binary = {'o', 'k', (byte) 0xF5, 0x00, '\\', (byte) 0xFF};

        assertThat(Preview.of(binary, 100)).isEqualTo("ok\\xf5\\x00\\\\\\xff");
    }

    @Test
    void aLongValueIsCutAtTheLimitCountingAnEscapeAsOneCharacter() {
        assertThat(Preview.of("\n\n\nabc".getBytes(StandardCharsets.UTF_8), 4)).isEqualTo("\\n\\n\\na...");
        assertThat(Preview.of(new byte[] {1, 2, 3}, 2)).isEqualTo("\\u0001\\u0002...");
        assertThat(Preview.of("abcd".getBytes(StandardCharsets.UTF_8), 4)).isEqualTo("abcd");
        assertThat(Preview.of(new byte[0], 4)).isEmpty();
    }
}
