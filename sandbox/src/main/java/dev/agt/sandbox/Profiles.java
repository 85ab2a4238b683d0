package dev.agt.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** The built-in profiles ({@code strict}, {@code workspace}, {@code networked}) and profile files. */
public final class Profiles {
    public static final List<String> BUILT_IN = List.of("strict", "workspace", "networked");

    private Profiles() {
    }

    /** A built-in profile by name, or a profile file by path (anything containing '/' or ending in .yaml). */
    public static Profile load(String nameOrFile) throws ProfileException, IOException {
        if (nameOrFile.contains("/") || nameOrFile.endsWith(".yaml") || nameOrFile.endsWith(".yml")) {
            Path p = Path.of(nameOrFile);
            String text;
            try {
                text = Files.readString(p, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IOException("sandbox profile " + p + " does not exist");
            }
            String base = p.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            return ProfileParser.parse(p.toString(), text, base);
        }
        if (!BUILT_IN.contains(nameOrFile)) {
            throw new IOException("no built-in sandbox profile '" + nameOrFile + "' (built in: " + String.join(", ", BUILT_IN)
                    + "; or give a profile file's path)");
        }
        try (InputStream in = Profiles.class.getResourceAsStream("profiles/" + nameOrFile + ".yaml")) {
            if (in == null) {
                throw new IOException("built-in profile " + nameOrFile + " is missing from the jar");
            }
            return ProfileParser.parse("builtin:" + nameOrFile + ".yaml", new String(in.readAllBytes(), StandardCharsets.UTF_8), nameOrFile);
        }
    }
}
