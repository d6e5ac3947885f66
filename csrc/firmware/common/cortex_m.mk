# The build every Cortex-M target shares, included by its Makefile after it sets
#
#   BOARD BUILD      the board's name and the build folder
#   ARCH             -mcpu, -mthumb and the FPU flags
#   DEFS             -D flags: the real type (-DGNC_REAL_FLOAT for float), the board's macro
#   BOARD_SRCS       the board layer (startup.c, board_*.c)
#   LDSCRIPT         the link script
#   SPECS            extra link flags (e.g. --specs=nano.specs), may be empty
#
# and its default goal `all`: the unchanged csrc/ flight kernels and codec and the protocol
# loop (../common) compiled as strict C99, the board layer as GNU C, linked into
# $(BUILD)/firmware.elf.

CC := arm-none-eabi-gcc
SIZE := arm-none-eabi-size
OBJCOPY := arm-none-eabi-objcopy
CSRC := ../..
COMMON := ../common
PORTABLE := $(wildcard $(CSRC)/*.c) $(wildcard $(COMMON)/*.c)
# Flight code and protocol: strict C99 (which also keeps GCC from fusing a*b+c into one
# rounding, so a double build matches the host's).  The board layer needs GNU C
# (register-level inline assembly, a range-initialised vector table).
WARN := -Wall -Wextra -Werror
COMMON_FLAGS := $(ARCH) -O2 -ffunction-sections -fdata-sections -fno-math-errno $(DEFS) \
                -DBAUD=$(BAUD)u -MMD -MP -I$(CSRC) -I$(COMMON)
CFLAGS := -std=c99 -pedantic -Wdouble-promotion $(WARN) $(COMMON_FLAGS)
BOARD_CFLAGS := -std=gnu99 $(WARN) $(COMMON_FLAGS)
LDFLAGS := $(ARCH) -nostartfiles -T $(LDSCRIPT) -Wl,--gc-sections $(SPECS)
LIBS := -lm -lc -lgcc
OBJS := $(patsubst %.c,$(BUILD)/%.o,$(notdir $(PORTABLE)))
BOARD_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(BOARD_SRCS))
vpath %.c $(CSRC) $(COMMON)

.PHONY: all size emulate clean

$(OBJS): $(BUILD)/%.o: %.c | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

$(BOARD_OBJS): $(BUILD)/%.o: %.c | $(BUILD)
	$(CC) $(BOARD_CFLAGS) -c $< -o $@

$(BUILD)/firmware.elf: $(OBJS) $(BOARD_OBJS) $(LDSCRIPT)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(BOARD_OBJS) $(LIBS)

$(BUILD):
	mkdir -p $@

clean:
	rm -rf build

# -MMD: an object depends on the headers it includes (layout.h is regenerated from
# gnc/frames.toml, and a stale object would disagree with the host about the frames).
# After every rule: a target in a .d file must not become the default goal.
-include $(OBJS:.o=.d) $(BOARD_OBJS:.o=.d)
