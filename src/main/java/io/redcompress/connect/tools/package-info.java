/**
 * What the operators' command-line tool ({@code io.redcompress.connect.cli}) finds out, without the parsing and
 * printing: a value's report ({@link io.redcompress.connect.tools.ValueReport}), statistics over sampled values
 * ({@link io.redcompress.connect.tools.KeyspaceStats}), samples for training from a file or a topic, and a
 * training run measured on held-out samples ({@link io.redcompress.connect.tools.DictionaryTraining}). No Lettuce
 * here: Redis is read through {@code io.redcompress.connect.redis}.
 */
package io.redcompress.connect.tools;
