package io.redcompress.connect.codec;

/**
 * The value does not start with a format marker ({@code 0xF5}..{@code 0xFF}), so it was not written
 * by a {@link ValueEncoder}. Every byte that can begin valid UTF-8 text leads here, so plain text and
 * JSON stored by another writer are reliably recognised; callers that share keys with other writers
 * can treat such values as raw bytes (or check {@link ValueDecoder#isOurFormat(byte[])} first).
 */
public final class NotOurFormatException extends ValueDecodingException {

    private static final long serialVersionUID = 1L;

    NotOurFormatException(String message) {
        super(message);
    }
}
