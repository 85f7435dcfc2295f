# Audio AI Studio in a container: every bundled engine, served on port 7860 as a non-root user.
#   docker build -t audio-ai-studio .
#   docker run -p 7860:7860 -v studio-cache:/home/app/.cache -e AUDIO_STUDIO_AUTH=ann:secret audio-ai-studio
# Also the Hugging Face Space's build (README front matter: sdk: docker). The install step is the
# project's own scripts/setup.sh, the same one CI runs in a fresh clone (tests/test_deploy.py then
# checks every bundled engine is ready and each tab answers).
FROM python:3.11-slim-bookworm

# Debian packages the app uses (packages.txt: ffmpeg, espeak-ng); one list for Spaces and here.
COPY packages.txt /tmp/packages.txt
RUN apt-get update \
    && xargs -a /tmp/packages.txt apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/packages.txt

# Spaces run containers as uid 1000; so does this image.
RUN useradd --create-home --uid 1000 app
USER app
WORKDIR /home/app/studio

# torch's CPU build (the default index would bring several GB of CUDA libraries).
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL} PIP_NO_CACHE_DIR=1

# Requirements first, so a code change does not reinstall every package.
COPY --chown=app:app requirements.txt requirements-nodeps.txt requirements.lock* packages.txt ./
COPY --chown=app:app requirements ./requirements
COPY --chown=app:app scripts/setup.sh scripts/system-packages.sh scripts/torchaudio_pure.py ./scripts/
RUN bash scripts/setup.sh
# Ray (Serve and Data, about 200 MB) only when asked: docker build --build-arg WITH_RAY=1 .
ARG WITH_RAY=0
RUN if [ "$WITH_RAY" = "1" ]; then \
      lock=""; [ -f requirements.lock ] && lock="-c requirements.lock"; \
      .venv/bin/python -m pip install -q -r requirements/ray.txt $lock; fi
COPY --chown=app:app . .

# Flags through the environment (AUDIO_STUDIO_AUTH, AUDIO_STUDIO_SHARE, AUDIO_STUDIO_OFFLINE,
# AUDIO_STUDIO_MCP, AUDIO_STUDIO_MAX_SECONDS...; see the README's Flags). The model cache
# (joined Whisper base, hub downloads) lives on a volume so it survives a new container.
ENV AUDIO_STUDIO_HOST=0.0.0.0 \
    AUDIO_STUDIO_PORT=7860 \
    XDG_CACHE_HOME=/home/app/.cache \
    HF_HOME=/home/app/.cache/huggingface \
    GRADIO_ANALYTICS_ENABLED=False \
    PYTHONUNBUFFERED=1
VOLUME ["/home/app/.cache"]
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/', timeout=4)"
CMD [".venv/bin/python", "app.py"]
