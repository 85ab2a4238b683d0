package dev.agt.demo.story;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The tools a typical assistant is given, written the plain way: no agt code anywhere. The
 * javaagent governs what they do at the JDK's choke points.
 */
public final class AgentTools {
    private final Path home;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public AgentTools(Path home) {
        this.home = home;
    }

    private Path path(String p) {
        return p.startsWith("~/") ? home.resolve(p.substring(2)) : Path.of(p);
    }

    @Tool("Fetches a web page and returns its text")
    public String fetchUrl(@P("the URL") String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }

    @Tool("Sends data to a URL with HTTP POST")
    public String postData(@P("the URL") String url, @P("the data") String data) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(data)).build(), HttpResponse.BodyHandlers.ofString());
        return "HTTP " + r.statusCode();
    }

    @Tool("Reads a text file")
    public String readFile(@P("the file's path; ~ is the home directory") String file) throws Exception {
        return Files.readString(path(file), StandardCharsets.UTF_8);
    }

    @Tool("Writes a text file")
    public String writeFile(@P("the file's path") String file, @P("the text") String text) throws Exception {
        Path p = path(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return "wrote " + text.length() + " characters to " + p;
    }

    @Tool("Runs a shell command and returns its output")
    public String runCommand(@P("the command") String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }
}
