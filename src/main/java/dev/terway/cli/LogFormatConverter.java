package dev.terway.cli;

import dev.terway.log.LogFormat;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --log-format}: {@code text} or {@code json}, with the accepted values in the error. */
public final class LogFormatConverter implements ITypeConverter<LogFormat> {

    @Override
    public LogFormat convert(String value) {
        try {
            return LogFormat.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
