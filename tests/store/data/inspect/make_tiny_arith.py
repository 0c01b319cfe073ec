from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import includes
from inspect_ai.solver import generate

answers = [
    "0",
    "3",
    "4",
    "0",
    "2",
    "9",
]  # q0 right, q1 wrong, q2 right; epoch 2: q0 right, q1 right, q2 wrong
outs = []
for a in answers:
    o = ModelOutput.from_content(model="mockllm/model", content=f"The answer is {a}")
    o.usage = ModelUsage(input_tokens=12, output_tokens=5, total_tokens=17)
    outs.append(o)
model = get_model("mockllm/model", custom_outputs=outs)
task = Task(
    name="tiny_arith",
    dataset=[
        Sample(id=f"q{i}", input=f"What is {i}+{i}?", target=str(2 * i), metadata={"h": i + 1})
        for i in range(3)
    ],
    solver=generate(),
    scorer=includes(),
    version=2,
)
eval(task, model=model, epochs=2, log_dir="logs", display="none", max_samples=1)
