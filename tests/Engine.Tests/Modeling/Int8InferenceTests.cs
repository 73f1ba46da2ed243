using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Tests.Adapters;
using static TorchSharp.torch;

namespace WebUI.Engine.Tests;

/// <summary>Int8 decoding (Q8_0 weights, rows quantized per block): near fp32, on the real model and with adapters on top.</summary>
public sealed class Int8InferenceTests
{
    [Fact]
    public void The_kernel_gives_the_product_of_the_quantized_weights_and_rows()
    {
        using var scope = NewDisposeScope();
        var weight = randn(48, 96);
        var x = randn(3, 96);
        using var q8 = Q8Weights.Quantize(weight);
        var y = q8.Multiply(x).data<float>().ToArray();

        // The same blocks by hand: each value rounded to its block's 1/127 of the largest, in rows and weights alike.
        static float[] Rounded(float[] values)
        {
            var r = new float[values.Length];
            for (int b = 0; b < values.Length; b += 32)
            {
                var d = values.Skip(b).Take(32).Max(MathF.Abs) / 127;
                for (int j = b; j < b + 32; j++) r[j] = d == 0 ? 0 : MathF.Round(values[j] / d, MidpointRounding.AwayFromZero) * d;
            }
            return r;
        }
        var (w, xs) = (Rounded(weight.data<float>().ToArray()), Rounded(x.data<float>().ToArray()));
        for (int r = 0; r < 3; r++)
            for (int o = 0; o < 48; o++)
            {
                double expected = 0;
                for (int i = 0; i < 96; i++) expected += xs[r * 96 + i] * w[o * 96 + i];
                Assert.Equal(expected, y[r * 48 + o], 3);
            }
    }

    [Fact]
    public async Task Stories260K_decodes_the_same_story_and_keeps_its_perplexity_within_one_percent()
    {
        using var worker = new TorchWorker("int8-test");
        using var model = await worker.Run(() => ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu));
        var fp32 = await Decoding.Generate(worker, model, "Once upon a time", GenerationOptions.Greedy(40));
        var text = string.Join("\n", await Task.WhenAll(new[] { 1L, 2L }.Select(async seed =>
            (await Decoding.Generate(worker, model, "One day", new GenerationOptions { Temperature = 0.8f, MaxNewTokens = 150, Seed = seed })).Text)));
        var before = await worker.Run(() => DecodedPerplexity(model, text));

        await worker.Run(() => model.Model.UseInt8Inference(true));
        Assert.True(model.Model.Int8Inference);
        Assert.NotNull(model.Model.Projections().First().Linear.Int8);
        var int8 = await Decoding.Generate(worker, model, "Once upon a time", GenerationOptions.Greedy(40));
        var after = await worker.Run(() => DecodedPerplexity(model, text));

        Assert.Equal(fp32.Text, int8.Text);
        Assert.NotEqual(before, after); // the int8 path really ran
        Assert.InRange(after / before, 0.99, 1.01);
        await worker.Run(() => model.Model.UseInt8Inference(false));
        Assert.Null(model.Model.Projections().First().Linear.Int8);
    }

    [Fact]
    public void Adapters_still_apply_on_top_of_int8_weights()
    {
        using var model = TinyModels.Create(ModelFamily.Qwen2);
        using var adapter = TestAdapters.Random(model, seed: 3);
        var stack = new AdapterStack(model.Model);
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var ids = tensor(new long[] { 1, 403, 407, 261 }, [1, 4]);
        float[] Last(bool withAdapter)
        {
            stack.Activate(withAdapter ? [(adapter, 1.0)] : []);
            using var cache = model.Model.CreateCache(1, 8);
            model.Model.Forward(ids[.., ..3], cache); // the prompt (fp32), then one decode step (int8 when on)
            return model.Model.Forward(ids[.., 3..], cache).flatten().data<float>().ToArray();
        }
        var (plain, adapted) = (Last(false), Last(true));
        model.Model.UseInt8Inference(true);
        var (plainInt8, adaptedInt8) = (Last(false), Last(true));
        stack.Dispose();
        model.Model.UseInt8Inference(false);

        static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
        Assert.True(Distance(plainInt8, adaptedInt8) > 10 * Distance(adapted, adaptedInt8), "the adapter's effect is lost under int8");
        Assert.True(Distance(plain, plainInt8) > 0, "the int8 path did not run");
    }

    /// <summary>Perplexity with every token fed through the cache one at a time, as decoding does (the int8 path).</summary>
    private static double DecodedPerplexity(LoadedModel model, string text)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var ids = model.Tokenizer.Encode(text).Take(model.Config.MaxPositions).Select(i => (long)i).ToArray();
        using var cache = model.Model.CreateCache(1, ids.Length);
        double loss = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
        {
            using var step = NewDisposeScope();
            var logits = model.Model.Forward(tensor(new[] { ids[t] }, [1, 1]), cache).flatten();
            loss -= logits.log_softmax(0)[ids[t + 1]].item<float>();
        }
        return Math.Exp(loss / (ids.Length - 1));
    }
}
