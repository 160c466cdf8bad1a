#!/bin/sh
# Rebuilds the example from source (needs gcc-arm-none-eabi and flashwright's dev setup).
set -eu
cd "$(dirname "$0")"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -Wall -Wextra -Werror \
  -T stm32f103.ld blinky.c tables.c -o ../blinky-stm32f103.elf
node --import tsx ../../src/cli/main.ts convert ../blinky-stm32f103.elf ../blinky-stm32f103.hex
