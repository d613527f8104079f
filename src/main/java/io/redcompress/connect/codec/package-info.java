/**
 * The compressed value format written to Redis: a self-describing header followed by a payload in a
 * standard compression format, and the encoder and decoder for it.
 *
 * <p>This package is deliberately free of Kafka and Lettuce imports. The connector uses it to encode
 * record values before sending them; applications that read the keys back use it, on its own, to
 * decode them. Its only dependencies are the compression libraries (lz4-java, snappy-java, zstd-jni)
 * and the JDK.
 *
 * <h2>Format in one paragraph</h2>
 * A value starts with the byte {@code 0xF5} (format version 1), a descriptor byte (codec id in the
 * high nibble, flags in the low nibble; flag bit 0 = CRC32C present), the original length as an
 * unsigned LEB128 varint, optionally the big-endian CRC32C of the original bytes, and then the payload
 * in the codec's standard form (raw LZ4 block, raw Snappy block, one zstd frame, one gzip member, or
 * the bytes themselves). Because {@code 0xF5}-{@code 0xFF} can never begin valid UTF-8, text values
 * written by anyone else are recognised as "not ours". The full specification, with a worked example
 * and pseudo-code for implementers in other languages, is {@code docs/value-format.md}; golden vectors
 * are in {@code src/test/resources/value-format-vectors/}.
 *
 * <h2>Entry points</h2>
 * <ul>
 *   <li>{@link io.redcompress.connect.codec.ValueEncoder} - built once with a
 *       {@link io.redcompress.connect.codec.Codec}, level, minimum size and checksum choice;
 *       {@code encode} returns the bytes, {@code encodeValue} also reports the codec actually used
 *       and the sizes (for metrics). {@code session()} gives one thread an
 *       {@link io.redcompress.connect.codec.EncodingSession} for encoding many values for less CPU.</li>
 *   <li>{@link io.redcompress.connect.codec.ValueDecoder} - {@code ValueDecoder.decode(bytes)} for the
 *       common case, or an instance with a different cap on the declared original length.
 *       {@code isOurFormat} and {@code header} serve tooling.</li>
 *   <li>{@link io.redcompress.connect.codec.ValueDecodingException} and its five subclasses - the
 *       only exceptions decoding throws for bad input.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Encoders and decoders are immutable and hold no buffers, compressor contexts, {@code Deflater}s or
 * {@code Inflater}s between calls; every call allocates what it needs and releases it before
 * returning. One instance can be shared by any number of threads. An {@code EncodingSession} is the
 * one exception, on purpose: it keeps a scratch buffer and the codec's native state between values,
 * belongs to one thread (another thread's use throws) and frees its state on {@code close()}. What it
 * returns is a new array every time, never its buffer.
 */
package io.redcompress.connect.codec;
