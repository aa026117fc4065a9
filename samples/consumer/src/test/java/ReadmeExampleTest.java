import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's API example is this project's one class, as printed, and it trains and saves a model. */
class ReadmeExampleTest {
    private static final Path README = Path.of("../../README.md");
    private static final Path EXAMPLE = Path.of("src/main/java/ReadmeExample.java");

    @Test
    void readmeShowsTheExampleAsItIs() throws Exception {
        String readme = Files.readString(README);
        Matcher block = Pattern.compile("```java\n(import dev\\.clgrad.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(), "README.md has no ```java block that starts with the clgrad imports");
        assertEquals(Files.readString(EXAMPLE), block.group(1),
                "README.md's API example differs from samples/consumer/" + EXAMPLE);
    }

    @Test
    void exampleTrainsAndSaves(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("model");
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ReadmeExample.main(new String[] {saved.toString()});
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        out.print(printed);
        Matcher losses = Pattern.compile("loss by epoch: \\[(.*)]").matcher(printed);
        assertTrue(losses.find(), printed);
        List<Double> loss = List.of(losses.group(1).split(", ")).stream().map(Double::parseDouble).toList();
        assertEquals(10, loss.size(), printed);
        assertTrue(loss.get(9) < 0.5 * loss.get(0), "the loss did not halve over 10 epochs: " + loss);
        assertTrue(Files.isRegularFile(saved.resolve("model.json")), "no model.json in " + saved);
        assertTrue(Files.isRegularFile(saved.resolve("model.safetensors")), "no model.safetensors in " + saved);
        assertTrue(printed.contains("dense"), printed);
    }
}
