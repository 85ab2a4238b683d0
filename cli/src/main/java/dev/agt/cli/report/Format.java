package dev.agt.cli.report;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/** The report formats, told apart by the output file's extension. */
public enum Format {
    HTML(List.of(".html", ".htm"), HtmlReport::render),
    MARKDOWN(List.of(".md", ".markdown"), MarkdownReport::render),
    JSON(List.of(".json"), JsonReport::render);

    private final List<String> extensions;
    private final Function<Report, String> renderer;

    Format(List<String> extensions, Function<Report, String> renderer) {
        this.extensions = extensions;
        this.renderer = renderer;
    }

    public static Optional<Format> of(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (Format f : values()) {
            if (f.extensions.stream().anyMatch(name::endsWith)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    public String render(Report r) {
        return renderer.apply(r);
    }
}
