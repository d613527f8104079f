package io.redcompress.connect.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Training samples from a file: one value per line. */
public final class SampleFiles {

    /** How a line becomes a sample. */
    public enum Format {
        /** The line's bytes as they are (UTF-8, without the line end); empty lines are samples too. */
        LINES,
        /**
         * Each non-blank line one JSON document, written back compactly (as the connector's JSON values are); a JSON
         * string is taken as its text. A line that is not JSON is an error naming the line.
         */
        JSON_LINES
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleFiles() {
    }

    /**
     * Up to {@code max} samples from {@code file}.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if a json-lines line is not JSON (the message names the line)
     */
    public static List<byte[]> read(Path file, Format format, int max) throws IOException {
        List<byte[]> samples = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while (samples.size() < max && (line = reader.readLine()) != null) {
                number++;
                if (format == Format.LINES) {
                    samples.add(line.getBytes(StandardCharsets.UTF_8));
                } else if (!line.isBlank()) {
                    samples.add(json(line, file, number));
                }
            }
        }
        return samples;
    }

    private static byte[] json(String line, Path file, int number) {
        try {
            JsonNode node = JSON.readTree(line);
            return node.isTextual() ? node.textValue().getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " line " + number + " is not JSON: " + e.getOriginalMessage());
        }
    }
}
