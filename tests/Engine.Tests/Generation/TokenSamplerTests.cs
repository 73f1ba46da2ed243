using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Generation;

public sealed class TokenSamplerTests
{
    private static readonly int[] NoHistory = [];

    [Fact]
    public void Greedy_picks_the_largest_logit_and_the_lowest_index_on_ties()
    {
        var sampler = new TokenSampler(GenerationOptions.Greedy());

        Assert.Equal(1, sampler.Next([0.1f, 3f, -1f, 2.9f], NoHistory));
        Assert.Equal(1, sampler.Next([1f, 5f, 5f, 2f], NoHistory));
    }

    [Fact]
    public void Same_seed_reproduces_the_draws_and_another_seed_differs()
    {
        float[] flatish = [.. Enumerable.Range(0, 10).Select(i => i * 0.1f)];

        int[] first = Draws(new GenerationOptions { Temperature = 1f, Seed = 42 }, flatish, 50);
        int[] again = Draws(new GenerationOptions { Temperature = 1f, Seed = 42 }, flatish, 50);
        int[] other = Draws(new GenerationOptions { Temperature = 1f, Seed = 43 }, flatish, 50);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.True(first.Distinct().Count() > 3, "a flat distribution should yield many different tokens");
    }

    [Fact]
    public void Top_k_of_one_is_greedy()
    {
        var random = new Random(1);
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 1.5f, TopK = 1, Seed = 3 });

        for (int round = 0; round < 50; round++)
        {
            float[] logits = RandomLogits(random, 1000);
            int expected = Array.IndexOf(logits, logits.Max());
            Assert.Equal(expected, sampler.Next(logits, NoHistory));
        }
    }

    [Fact]
    public void Tiny_top_p_keeps_only_the_best_token()
    {
        float[] logits = [1f, 1.2f, 0.9f, 1.1f, 0.5f];

        int[] draws = Draws(new GenerationOptions { Temperature = 1f, TopP = 0.01f, Seed = 5 }, logits, 200);

        Assert.All(draws, token => Assert.Equal(1, token));
    }

    [Fact]
    public void Top_p_samples_the_nucleus_in_proportion()
    {
        // Probabilities 0.5, 0.3, 0.1, 0.1: with top-p 0.75 the nucleus is {0, 1}, renormalised to 0.625 / 0.375.
        float[] logits = Logits(0.5, 0.3, 0.1, 0.1);

        double[] frequencies = Frequencies(new GenerationOptions { Temperature = 1f, TopP = 0.75f, Seed = 11 }, logits, 2000);

        Assert.Equal(0.625, frequencies[0], tolerance: 0.04);
        Assert.Equal(0.375, frequencies[1], tolerance: 0.04);
        Assert.Equal(0, frequencies[2] + frequencies[3]);
    }

    [Fact]
    public void Top_p_measures_probability_after_top_k_has_renormalised()
    {
        // After top-k 2 the best token has 0.4 / 0.7 = 0.57 >= 0.5, so top-p 0.5 keeps it alone;
        // measured against the whole vocabulary (0.4 < 0.5) it would keep the runner-up too.
        float[] logits = Logits([0.4, 0.3, .. Enumerable.Repeat(0.01, 30)]);

        int[] draws = Draws(new GenerationOptions { Temperature = 1f, TopK = 2, TopP = 0.5f, Seed = 2 }, logits, 300);

        Assert.All(draws, token => Assert.Equal(0, token));
    }

    [Fact]
    public void Min_p_drops_tokens_below_its_share_of_the_best()
    {
        // min-p 0.2 of the best 0.5 is 0.1: token 3 (0.05) goes, tokens 0-2 stay.
        float[] logits = Logits(0.5, 0.3, 0.15, 0.05);

        double[] frequencies = Frequencies(new GenerationOptions { Temperature = 1f, MinP = 0.2f, Seed = 13 }, logits, 2000);

        Assert.Equal(0, frequencies[3]);
        Assert.Equal(0.5 / 0.95, frequencies[0], tolerance: 0.04);
        Assert.Equal(0.15 / 0.95, frequencies[2], tolerance: 0.04);
    }

    [Fact]
    public void Repetition_penalty_divides_a_positive_logit_enough_to_change_the_greedy_choice()
    {
        var sampler = new TokenSampler(GenerationOptions.Greedy() with { RepetitionPenalty = 1.5f });

        Assert.Equal(0, sampler.Next([2f, 1.8f, 0f], NoHistory));
        Assert.Equal(1, sampler.Next([2f, 1.8f, 0f], [0]));
    }

    [Fact]
    public void Repetition_penalty_multiplies_a_negative_logit_enough_to_change_the_greedy_choice()
    {
        var sampler = new TokenSampler(GenerationOptions.Greedy() with { RepetitionPenalty = 1.5f });

        Assert.Equal(0, sampler.Next([-1f, -1.2f, -5f], NoHistory));
        Assert.Equal(1, sampler.Next([-1f, -1.2f, -5f], [0]));
    }

    [Fact]
    public void Repetition_penalty_applies_once_per_distinct_token()
    {
        // Once: 2 / 1.5 = 1.33 still beats 1.2; applied per occurrence it would fall to 0.59.
        var sampler = new TokenSampler(GenerationOptions.Greedy() with { RepetitionPenalty = 1.5f });

        Assert.Equal(0, sampler.Next([2f, 1.2f], [0, 0, 0]));
    }

    [Fact]
    public void High_temperature_flattens_toward_the_softmax_of_scaled_logits()
    {
        float[] logits = [2f, 1f, 0f, -1f];
        double[] expected = Softmax(logits.Select(l => l / 2.0).ToArray());

        double[] frequencies = Frequencies(new GenerationOptions { Temperature = 2f, Seed = 7 }, logits, 2000);

        for (int token = 0; token < logits.Length; token++)
            Assert.Equal(expected[token], frequencies[token], tolerance: 0.035);
        Assert.True(frequencies[0] < Softmax([2, 1, 0, -1])[0] - 0.1, "temperature 2 should take mass from the best token");
    }

    [Fact]
    public void Large_vocabulary_top_p_draws_only_from_the_exact_nucleus()
    {
        const float temperature = 0.8f, topP = 0.9f;
        float[] logits = RandomLogits(new Random(17), 50_000);
        HashSet<int> nucleus = ReferenceNucleus(logits, temperature, topP);

        int[] draws = Draws(new GenerationOptions { Temperature = temperature, TopP = topP, Seed = 19 }, logits, 500);

        Assert.All(draws, token => Assert.Contains(token, nucleus));
        Assert.True(draws.Distinct().Count() > 1, "a 0.9 nucleus of a broad distribution holds more than one token");
    }

    private static int[] Draws(GenerationOptions options, float[] logits, int count)
    {
        var sampler = new TokenSampler(options);
        return [.. Enumerable.Range(0, count).Select(_ => sampler.Next(logits.ToArray(), NoHistory))];
    }

    private static double[] Frequencies(GenerationOptions options, float[] logits, int draws)
    {
        var frequencies = new double[logits.Length];
        foreach (int token in Draws(options, logits, draws)) frequencies[token] += 1.0 / draws;
        return frequencies;
    }

    private static float[] Logits(params double[] probabilities) => [.. probabilities.Select(p => (float)Math.Log(p))];

    private static float[] RandomLogits(Random random, int vocabulary) =>
        [.. Enumerable.Range(0, vocabulary).Select(_ => (float)(random.NextDouble() * 12 - 6))];

    private static double[] Softmax(double[] values)
    {
        double max = values.Max();
        double[] exps = [.. values.Select(v => Math.Exp(v - max))];
        return [.. exps.Select(e => e / exps.Sum())];
    }

    /// <summary>Top-p by the book: sort every token by probability and take the smallest prefix reaching top_p.</summary>
    private static HashSet<int> ReferenceNucleus(float[] logits, float temperature, float topP)
    {
        double[] probabilities = Softmax([.. logits.Select(l => l / (double)temperature)]);
        var nucleus = new HashSet<int>();
        double cumulative = 0;
        foreach (int token in Enumerable.Range(0, logits.Length).OrderByDescending(t => probabilities[t]))
        {
            nucleus.Add(token);
            cumulative += probabilities[token];
            if (cumulative >= topP) break;
        }
        return nucleus;
    }
}
