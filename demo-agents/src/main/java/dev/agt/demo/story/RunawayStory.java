package dev.agt.demo.story;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;

/**
 * A summarizer stuck in a loop: it asks its model to improve the draft again and again, as an
 * agent does when its stopping condition never holds. Nothing in the agent limits it; its team's
 * budget in the policy does: the call that would pass it is refused before it is sent.
 *
 * <p>Args: MODEL_BASE_URL (the demo's own OpenAI-compatible server on loopback).
 */
public final class RunawayStory {
    private static final int ROUNDS = 50;

    public static void main(String[] args) {
        ChatModel model = OpenAiChatModel.builder().baseUrl(args[0]).apiKey("demo").modelName("gpt-4o-mini").maxTokens(500).maxRetries(0).build();
        String draft = "Release 2.4: faster builds, a plugin API.";
        int done = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            try {
                draft = model.chat("Improve this summary; reply with the new version:\n" + draft);
                done = round;
                InjectionStory.say("summarizer: round " + round + ": " + ScriptedModel.oneLine(draft));
            } catch (RuntimeException e) {
                InjectionStory.say("summarizer: round " + round + " refused: " + ScriptedModel.oneLine(String.valueOf(e.getMessage())));
                break;
            }
        }
        InjectionStory.say("summarizer: stopped after " + done + " of " + ROUNDS + " rounds");
        System.exit(0);
    }

    private RunawayStory() {
    }
}
