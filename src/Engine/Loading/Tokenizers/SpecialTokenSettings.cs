using System.Text.Json;

namespace WebUI.Engine.Loading;

/// <summary>
/// BOS, EOS ids, whether encoding puts BOS first, and the chat template: read in this one place for every tokenizer
/// kind. Sources, first found wins: tokenizer_config.json (bos_token, eos_token, add_bos_token, chat_template, or
/// chat_template.jinja), the tokenizer.json post-processor template, generation_config.json, config.json, then the
/// kind's defaults. EOS ids are tokenizer_config's eos_token plus every generation_config eos_token_id
/// (Llama 3 Instruct stops at both &lt;|end_of_text|&gt; and &lt;|eot_id|&gt;).
/// </summary>
internal sealed record SpecialTokenSettings(int? BosId, IReadOnlyList<int> EosIds, bool AddsBos, string? ChatTemplate)
{
    /// <param name="folder">Where the tokenizer's config files are; null when there are none (llama2.c).</param>
    /// <param name="postProcessor">tokenizer.json's post_processor, if any.</param>
    /// <param name="idOf">The id of a token's text, or null.</param>
    /// <param name="defaults">What the tokenizer kind implies when no file says otherwise.</param>
    public static SpecialTokenSettings Read(string? folder, JsonElement? postProcessor, Func<string, int?> idOf,
        SpecialTokenSettings defaults)
    {
        if (folder is null) return defaults;
        using var tokenizerConfig = ReadJson(folder, "tokenizer_config.json");
        using var generationConfig = ReadJson(folder, "generation_config.json");
        using var modelConfig = ReadJson(folder, "config.json");
        var tc = tokenizerConfig?.RootElement;
        var gc = generationConfig?.RootElement;
        var mc = modelConfig?.RootElement;

        var templateBos = postProcessor is { } pp ? TemplateBos(pp, idOf) : null;
        var bos = TokenId(tc, "bos_token", idOf) ?? templateBos ?? Ids(gc, "bos_token_id").FirstOrDefault()
            ?? Ids(mc, "bos_token_id").FirstOrDefault() ?? defaults.BosId;

        var eos = new[] { TokenId(tc, "eos_token", idOf) }.Concat(Ids(gc, "eos_token_id")).OfType<int>().Distinct().ToList();
        if (eos.Count == 0) eos = Ids(mc, "eos_token_id").OfType<int>().ToList();
        if (eos.Count == 0) eos = [.. defaults.EosIds];

        var addsBos = (Bool(tc, "add_bos_token") ?? (templateBos is not null || defaults.AddsBos)) && bos is not null;
        var jinja = Path.Combine(folder, "chat_template.jinja");
        var template = ChatTemplateOf(tc) ?? (File.Exists(jinja) ? File.ReadAllText(jinja) : defaults.ChatTemplate);
        return new SpecialTokenSettings(bos, eos, addsBos, template);
    }

    private static JsonDocument? ReadJson(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path)) return null;
        try { return JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidModelException($"{path}: malformed JSON ({e.Message})", e); }
    }

    private static JsonElement? Property(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;

    /// <summary>A token given as a string or as an AddedToken object {"content": ...}.</summary>
    private static int? TokenId(JsonElement? obj, string name, Func<string, int?> idOf) => Property(obj, name) switch
    {
        { ValueKind: JsonValueKind.String } s => idOf(s.GetString()!),
        { ValueKind: JsonValueKind.Object } o when Property(o, "content") is { ValueKind: JsonValueKind.String } c => idOf(c.GetString()!),
        _ => null,
    };

    /// <summary>An id given as a number or a list of numbers.</summary>
    private static IEnumerable<int?> Ids(JsonElement? obj, string name) => Property(obj, name) switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var id) => [id],
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var id) ? id : (int?)null).ToList(),
        _ => [],
    };

    private static bool? Bool(JsonElement? obj, string name) => Property(obj, name)?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A string, or a list of named templates of which "default" (else the first) is the chat one.</summary>
    private static string? ChatTemplateOf(JsonElement? tc) => Property(tc, "chat_template") switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray()
            .Where(t => Property(t, "template")?.ValueKind == JsonValueKind.String)
            .OrderBy(t => Property(t, "name")?.ToString() == "default" ? 0 : 1)
            .Select(t => Property(t, "template")!.Value.GetString()).FirstOrDefault(),
        _ => null,
    };

    /// <summary>The special token a TemplateProcessing puts before the text ("single": [&lt;s&gt;, $A]), if any.</summary>
    private static int? TemplateBos(JsonElement postProcessor, Func<string, int?> idOf)
    {
        JsonElement? template = Property(postProcessor, "type")?.GetString() switch
        {
            "TemplateProcessing" => postProcessor,
            "Sequence" => Property(postProcessor, "processors")?.EnumerateArray()
                .FirstOrDefault(p => Property(p, "type")?.GetString() == "TemplateProcessing"),
            _ => null,
        };
        if (Property(template, "single") is not { ValueKind: JsonValueKind.Array } single || single.GetArrayLength() < 2) return null;
        if (Property(Property(single[0], "SpecialToken"), "id") is not { ValueKind: JsonValueKind.String } name) return null;
        var ids = Property(Property(Property(template, "special_tokens"), name.GetString()!), "ids");
        return ids is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() > 0 ? a[0].GetInt32() : idOf(name.GetString()!);
    }
}
