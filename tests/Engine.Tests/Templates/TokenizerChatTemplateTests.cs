using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests.Templates;

/// <summary>A model's own template, read from its tokenizer, with the tokenizer's BOS and EOS text.</summary>
public sealed class TokenizerChatTemplateTests
{
    private static ITextTokenizer SmolLM2() => TokenizerLoader.FromFolder(SharedModels.Dir("smollm2-135m-instruct-tokenizer"));

    [Fact]
    public void A_tokenizer_without_a_chat_template_has_no_model_template()
    {
        // This copy of SmolLM2's tokenizer has no tokenizer_config.json, so no chat_template.
        Assert.Null(ChatTemplate.ForTokenizer(SmolLM2(), "Model (SmolLM2)"));
    }

    [Fact]
    public void The_tokenizers_template_renders_with_its_special_tokens_text()
    {
        var tokenizer = new TokenizerWithTemplate(SmolLM2(), "{{ bos_token }}|{{ eos_token }}|" + BuiltInTemplateTests.SmolLM2Template);

        var template = ChatTemplate.ForTokenizer(tokenizer, "Model (SmolLM2)");

        Assert.NotNull(template);
        Assert.Equal("Model (SmolLM2)", template.Name);
        // SmolLM2's BOS (id 1) and EOS (id 2) are special, so Decode gives nothing; their text is still found.
        Assert.Equal("<|im_start|>|<|im_end|>|<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            template.Render([new("user", "Hi")], addGenerationPrompt: true));
    }

    /// <summary>A real tokenizer with a chat template added, as if its tokenizer_config.json had one.</summary>
    private sealed class TokenizerWithTemplate(ITextTokenizer inner, string chatTemplate) : ITextTokenizer
    {
        public int VocabSize => inner.VocabSize;
        public int? BosId => inner.BosId;
        public IReadOnlyList<int> EosIds => inner.EosIds;
        public bool AddsBos => inner.AddsBos;
        public string? ChatTemplate => chatTemplate;
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) => inner.Encode(text, addSpecialTokens);
        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
        public ReadOnlySpan<byte> TokenBytes(int id) => inner.TokenBytes(id);
        public bool IsSpecial(int id) => inner.IsSpecial(id);
    }
}
