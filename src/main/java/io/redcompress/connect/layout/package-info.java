/**
 * Where a value lives in Redis under {@code redis.layout=buckets}: the bucket function (CRC-32 of the logical key,
 * modulo the bucket count), the bucket key and field, the sizing rule that keeps buckets listpack-encoded, and the
 * layout marker stored beside the data. Specified byte by byte in {@code docs/bucketed-layout.md}.
 *
 * <p>Like {@code codec}, this package imports neither Kafka nor Lettuce: applications that read buckets back use it on
 * its own, with any Redis client.
 */
package io.redcompress.connect.layout;
