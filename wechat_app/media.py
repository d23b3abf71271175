"""Reading a video's length with ffprobe (Debian's ffmpeg package). Where ffprobe is missing the
upload is refused with a message that says so, rather than stored without a length (a lesson's
length decides when it counts as watched)."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile


class ProbeError(Exception):
    """Why a length could not be read, in Chinese for the page."""


def video_seconds(data: bytes, suffix: str) -> int:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise ProbeError("服务器未安装ffprobe（Debian: apt-get install ffmpeg），无法读取视频时长，请联系系统管理员。")
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(data)
        file.flush()
        try:
            out = subprocess.run([ffprobe, "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                                  "-of", "json", file.name], capture_output=True, timeout=30, check=True)
            found = json.loads(out.stdout)
        except (subprocess.SubprocessError, ValueError):
            raise ProbeError("无法读取该视频，请上传mp4格式的视频文件。") from None
    if not any(stream.get("codec_type") == "video" for stream in found.get("streams", [])):
        raise ProbeError("该文件不含视频画面，请上传mp4格式的视频文件。")
    try:
        return max(1, round(float(found["format"]["duration"])))
    except (KeyError, ValueError):
        raise ProbeError("无法读取视频时长，请重新导出视频后上传。") from None
