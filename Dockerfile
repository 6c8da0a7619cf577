# stylekit's app and its Ray workers, one image for the front end and every worker node.
#   docker build -t stylekit .                          # CPU base
#   docker build --build-arg BASE=<a CUDA runtime image with Python 3.11> -t stylekit:cuda .
# The pinned torch wheel carries its own CUDA libraries, so the CPU-based image also runs on a GPU node
# started with the NVIDIA container toolkit (docker run --gpus all); see docs/deployment.md.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False PIP_NO_CACHE_DIR=1
WORKDIR /srv/stylekit
COPY pyproject.toml README.md LICENSE requirements.txt requirements-cluster.txt app.py ./
COPY stylekit ./stylekit
COPY assets ./assets
RUN python3 -m pip install -r requirements-cluster.txt

EXPOSE 7860
# The front end; a worker node runs `ray start ...` with this image instead (KubeRay does that itself).
CMD ["stylekit-app", "--host", "0.0.0.0", "--port", "7860"]
