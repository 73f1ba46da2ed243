using System.Diagnostics;
using System.Text;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>
/// One sequence being generated: its prompt, sampler, stop strings, streaming decoder, adapter set and
/// cancellation. <see cref="BatchDecoder"/> feeds it the logits of its row at each step; it picks the next token,
/// emits a chunk, and says when it is done. Lives on the torch thread that decodes it.
/// </summary>
public sealed class GenerationSequence
{
    private readonly LoadedModel model;
    private readonly GenerationOptions options;
    private readonly TokenSampler sampler;
    private readonly Utf8StreamDecoder decoder;
    private readonly StopStringMatcher stops;
    private readonly List<int> history;
    private readonly HashSet<int> eos;
    private readonly Action<GenerationChunk> emit;
    private readonly CancellationToken cancellationToken;
    private readonly Stopwatch clock = new();
    private double prefillSeconds;
    private int generated;

    /// <param name="adapters">This sequence's adapters; null leaves whatever the decoding thread has active (training samples).</param>
    /// <param name="emit">Called on the torch thread for every chunk; must not block.</param>
    public GenerationSequence(LoadedModel model, IReadOnlyList<int> promptIds, GenerationOptions options,
        IReadOnlyList<(LoraAdapter Adapter, double Weight)>? adapters, Action<GenerationChunk> emit, CancellationToken cancellationToken)
    {
        int context = model.Config.MaxPositions;
        if (promptIds.Count == 0) throw new ArgumentException("the prompt is empty");
        if (promptIds.Count >= context) throw new PromptTooLongException(promptIds.Count, context);
        this.model = model;
        this.options = options.Validate();
        sampler = new TokenSampler(options);
        decoder = new Utf8StreamDecoder(model.Tokenizer);
        stops = new StopStringMatcher(options.StopStrings);
        history = [.. promptIds];
        eos = options.StopAtEos ? [.. model.Tokenizer.EosIds] : [];
        Adapters = adapters;
        this.emit = emit;
        this.cancellationToken = cancellationToken;
        PromptIds = promptIds;
        // Room for the prompt and every new token, within the context (the last position can hold one more token).
        MaxLength = Math.Min(context, promptIds.Count + options.MaxNewTokens);
    }

    public IReadOnlyList<int> PromptIds { get; }
    public IReadOnlyList<(LoraAdapter Adapter, double Weight)>? Adapters { get; }
    /// <summary>Cache positions this sequence may use at most.</summary>
    public int MaxLength { get; }
    /// <summary>The token to feed at the next decode step.</summary>
    public int LastToken => history[^1];
    public bool IsDone { get; private set; }
    public bool IsCancellationRequested => cancellationToken.IsCancellationRequested;

    /// <summary>Starts the clocks; called just before the prompt's forward pass.</summary>
    public void Start() => clock.Start();

    /// <summary>Takes this row's logits (modified in place), picks and emits a token; returns whether the sequence is done.</summary>
    public bool Accept(float[] logits, long cachedTokens)
    {
        var raw = options.Logprobs is null ? null : (float[])logits.Clone();
        int token = sampler.Next(logits, history, PromptIds.Count);
        if (generated++ == 0) prefillSeconds = clock.Elapsed.TotalSeconds;
        if (eos.Contains(token)) return Finish(FinishReason.EndOfSequence);
        history.Add(token);
        var scan = stops.Push(decoder.Push(token));
        emit(new GenerationChunk(scan.Emit, token, null, Logprob: raw is null ? null : Logprob(raw, token, options.Logprobs!.Value)));
        if (scan.Stopped) return Finish(FinishReason.StopString, flush: false);
        if (generated >= options.MaxNewTokens || cachedTokens + 1 > MaxLength) return Finish(FinishReason.Length);
        if (IsCancellationRequested) return Finish(FinishReason.Cancelled);
        return false;
    }

    /// <summary>Ends the sequence (also when cancelled between steps) and emits its last chunk, with the stats.</summary>
    public bool Finish(FinishReason finish, bool flush = true)
    {
        if (IsDone) return true;
        IsDone = true;
        var tail = "";
        if (flush)
        {
            // Bytes still pending in the decoder can complete a stop string too.
            var last = stops.Push(decoder.Flush());
            tail = last.Stopped ? last.Emit : last.Emit + stops.Flush();
            if (last.Stopped) finish = FinishReason.StopString;
        }
        if (generated == 0) prefillSeconds = clock.Elapsed.TotalSeconds;
        var stats = new GenerationStats(PromptIds.Count, generated, prefillSeconds, clock.Elapsed.TotalSeconds - prefillSeconds);
        emit(new GenerationChunk(tail, null, finish, stats));
        return true;
    }

    // Log-softmax of the raw logits, before any sampling setting: what OpenAI and vLLM report.
    private TokenLogprob Logprob(float[] raw, int token, int top)
    {
        float max = raw.Max();
        double sum = 0;
        foreach (float l in raw) sum += Math.Exp(l - max);
        float logSum = max + (float)Math.Log(sum);
        var best = new PriorityQueue<int, float>();
        for (int i = 0; i < raw.Length && top > 0; i++)
        {
            if (best.Count < top) best.Enqueue(i, raw[i]);
            else if (raw[i] > raw[best.Peek()]) best.DequeueEnqueue(i, raw[i]);
        }
        var alternatives = best.UnorderedItems.Select(e => new TokenAlternative(e.Element, TokenText(e.Element), raw[e.Element] - logSum))
            .OrderByDescending(a => a.Logprob).ToList();
        return new TokenLogprob(token, TokenText(token), raw[token] - logSum, alternatives);
    }

    private string TokenText(int id) => Encoding.UTF8.GetString(model.Tokenizer.TokenBytes(id));
}

/// <summary>The prompt leaves no room in the model's context for even one new token.</summary>
public sealed class PromptTooLongException(int promptTokens, int context)
    : ArgumentException($"the prompt has {promptTokens} tokens; the model's context is {context}");
