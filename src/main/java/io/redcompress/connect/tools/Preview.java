package io.redcompress.connect.tools;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The start of a value as one printable line: valid UTF-8 is shown as text with control characters escaped
 * ({@code \n}, {@code \t}, {@code \u0001}); anything else byte by byte, printable ASCII as is and the rest as
 * {@code \xNN}. A backslash is doubled, so the escapes are unambiguous.
 */
public final class Preview {

    private Preview() {
    }

    /** At most {@code maxChars} characters of {@code bytes} (an escape counts as one), and "..." when cut. */
    public static String of(byte[] bytes, int maxChars) {
        StringBuilder out = new StringBuilder();
        int shown = 0;
        boolean cut = false;
        String text = utf8(bytes);
        if (text != null) {
            for (int i = 0; i < text.length(); ) {
                if (shown == maxChars) {
                    cut = true;
                    break;
                }
                int cp = text.codePointAt(i);
                i += Character.charCount(cp);
                switch (cp) {
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\\' -> out.append("\\\\");
                    default -> {
                        if (Character.isISOControl(cp) || !Character.isDefined(cp)) {
                            out.append(String.format("\\u%04x", cp));
                        } else {
                            out.appendCodePoint(cp);
                        }
                    }
                }
                shown++;
            }
        } else {
            for (byte b : bytes) {
                if (shown == maxChars) {
                    cut = true;
                    break;
                }
                int c = b & 0xFF;
                if (c == '\\') {
                    out.append("\\\\");
                } else if (c >= 0x20 && c < 0x7F) {
                    out.append((char) c);
                } else {
                    out.append(String.format("\\x%02x", c));
                }
                shown++;
            }
        }
        return cut ? out.append("...").toString() : out.toString();
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
