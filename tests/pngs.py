"""What the tests of written plots share: a PNG's signature and the weight of a blank figure."""
import io
import struct

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def blank_png_bytes(data: bytes) -> int:
    """Bytes of an empty one-axes figure of this PNG's pixel size: what a plot weighs with
    nothing drawn (10.1 kB for the 10 x 4.5 in plots at 110 dpi; a 10,000-byte floor let
    empty axes through).  The plots of descent seed 1 weigh 5 to 35 times their blank."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    w, h = struct.unpack(">II", data[16:24])                        # the IHDR chunk
    fig, _ = plt.subplots(figsize=(w / 100.0, h / 100.0))
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    plt.close(fig)
    return len(buf.getvalue())
